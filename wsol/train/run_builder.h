// run_builder.h
//
// From a spec to a run: every mapping of spec fields onto the plain options of the
// model, the optimizer, the loaders and the evaluator is here, once (RunSettingsFor),
// and BuildModel / BuildRun put the pieces together with the components the binary
// passed in (the method table, the data source).
//
//   absl::StatusOr<Run> run = BuildRun(spec, components, {.cache_dir = "wsol_cache"});
//   // run->model, run->sgd, run->train_loader, run->splits, run->settings, ...
#ifndef WSOL_TRAIN_RUN_BUILDER_H_
#define WSOL_TRAIN_RUN_BUILDER_H_

#include <torch/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "wsol/backbones/backbone.h"
#include "wsol/data/image_loader.h"
#include "wsol/data/image_transforms.h"
#include "wsol/data/splits.h"
#include "wsol/evaluation/split_evaluator.h"
#include "wsol/proto/experiment.pb.h"
#include "wsol/regularizers/regularizer.h"
#include "wsol/train/components.h"
#include "wsol/train/training_state.h"

namespace torch::optim {
class SGD;
}  // namespace torch::optim

namespace wsol {
class PhaseTimes;
}  // namespace wsol

namespace wsol::train {

// Everything a spec decides, as the plain options each part takes.
struct RunSettings {
  torch::Device device = torch::kCPU;
  torch::Dtype dtype = torch::kFloat;  // runtime.precision
  int threads = 1;                     // runtime.threads, 0 resolved to the core count
  int epochs = 1;
  uint64_t seed = 0;
  backbones::BackboneOptions backbone;
  SgdSettings sgd;
  data::LoaderOptions train_loader;  // image_root filled in from the splits
  data::LoaderOptions eval_loader;
  data::TransformOptions eval_transform;
  // For the selection split (per epoch) and the test split; boxes / masks / mask_root
  // filled in from the splits.
  evaluation::SplitEvaluatorOptions selection_evaluator;
  evaluation::SplitEvaluatorOptions test_evaluator;
  bool select_on_test = false;   // evaluation.selection_split = "test"
  bool score_last_epoch = true;  // evaluation.checkpoint_selection = LAST_EPOCH
  bool save_scoremaps = false;
  bool multi_label = false;
  int observe_every_epochs = 1;     // evaluation.observe_every_epochs
  int checkpoint_every_epochs = 1;  // runtime.checkpoint_every_epochs
};

// The settings of a valid spec (device "auto" resolved against this LibTorch).
RunSettings RunSettingsFor(const proto::Experiment& spec);

// The model a spec trains: its method (from `components`), backbone (with
// backbone.pretrained_path imported) and regularizer, on the settings' device and type.
struct Model {
  std::shared_ptr<WsolModel> model;
  std::unique_ptr<regularizers::Regularizer> regularizer;
};
absl::StatusOr<Model> BuildModel(const proto::Experiment& spec, const Components& components);

// A run ready to train: the model, SGD, the splits and their loaders.
struct Run {
  RunSettings settings;
  data::Splits splits;
  Model model;
  std::unique_ptr<torch::optim::SGD> sgd;
  std::unique_ptr<data::ImageLoader> train_loader;
  std::unique_ptr<data::ImageLoader> selection_loader;  // val (or test)
  std::unique_ptr<data::ImageLoader> test_loader;
  // Training images (evaluation.train_entropy_images of them) under the evaluation
  // transform, for the per-epoch train entropy.
  data::EvalSplit train_sample;
  std::unique_ptr<data::ImageLoader> train_sample_loader;
  // This process's share of each evaluated split, what its loader reads: every image of
  // the split for a single process, else image i for rank i % world_size (the trainer
  // merges the ranks' counts). The train loader reads its slice of every global batch.
  data::EvalSplit selection_part, test_part, train_sample_part;
  int rank = 0, world_size = 1;
  // Where the trainer accounts its time (TrainerOptions::phases); null: nowhere.
  PhaseTimes* phases = nullptr;
  const data::EvalSplit& selection() const {
    return settings.select_on_test ? splits.test : splits.val;
  }
};

struct BuildRunOptions {
  std::string cache_dir = "wsol_cache";
  // Data parallelism: this process's rank among world_size (optimizer.batch_size must be
  // a multiple of world_size: each rank trains on batch_size / world_size images).
  int rank = 0;
  int world_size = 1;
};

// Validates the spec, resolves the device, sets the thread count and builds the run.
absl::StatusOr<std::unique_ptr<Run>> BuildRun(const proto::Experiment& spec,
                                              const Components& components,
                                              const BuildRunOptions& options);

}  // namespace wsol::train

#endif  // WSOL_TRAIN_RUN_BUILDER_H_
