#include "wsol/train/run_builder.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>

#include <algorithm>
#include <iostream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "wsol/backbones/backbone_registry.h"
#include "wsol/backbones/weight_import.h"
#include "wsol/regularizers/regularizer_builder.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/util/status_macros.h"
#include "wsol/util/torch_status.h"
#include "wsol/util/zip_check.h"

namespace wsol::train {
namespace {

// Makes tensors created without an explicit type (parameters, buffers, a method's
// branches) use `dtype` while it lives. A float64 model must be initialized in float64:
// float32 initializers differ in their last bits between CPU kernels (the vectorized
// normal sampler), which training would amplify.
class ScopedDefaultDtype {
 public:
  explicit ScopedDefaultDtype(torch::Dtype dtype) : saved_(c10::get_default_dtype()) {
    c10::set_default_dtype(c10::scalarTypeToTypeMeta(dtype));
  }
  ~ScopedDefaultDtype() { c10::set_default_dtype(saved_); }
  ScopedDefaultDtype(const ScopedDefaultDtype&) = delete;
  ScopedDefaultDtype& operator=(const ScopedDefaultDtype&) = delete;

 private:
  caffe2::TypeMeta saved_;
};

data::LoaderOptions LoaderOptionsFor(const proto::Experiment& spec, bool train) {
  data::LoaderOptions o;
  o.transform.train = train;
  o.transform.resize_size = spec.dataset().resize_size();
  o.transform.crop_size = spec.dataset().crop_size();
  o.transform.eval_size = spec.dataset().eval_size();
  o.batch_size = spec.optimizer().batch_size();
  o.shuffle = train;
  o.num_workers = std::max(1, spec.runtime().loader_workers());
  o.seed = spec.runtime().seed();
  o.skip_bad_images = spec.dataset().skip_bad_images();
  return o;
}

evaluation::SplitEvaluatorOptions EvaluatorOptionsFor(const proto::Experiment& spec, bool full) {
  const proto::Evaluation& e = spec.evaluation();
  evaluation::SplitEvaluatorOptions o;
  o.eval_size = spec.dataset().eval_size();
  o.cam_curve_interval = e.cam_curve_interval();
  o.iou_thresholds.assign(e.iou_thresholds().begin(), e.iou_thresholds().end());
  if (o.iou_thresholds.empty()) o.iou_thresholds = {30, 50, 70};
  o.multi_contour = e.multi_contour_eval();
  o.sigma = e.box_threshold();
  o.max_box_acc = full;
  o.multi_label = spec.dataset().multi_label();
  o.num_classes = spec.dataset().num_classes();
  return o;
}

// Fills in what the splits know: which localization the split has, where the masks are.
void FromSplit(const data::EvalSplit& split, const std::string& mask_root,
               evaluation::SplitEvaluatorOptions* options) {
  options->boxes = split.has_boxes;
  options->masks = split.has_masks;
  options->mask_root = mask_root;
}

// Image i of `split` for rank i % world_size (all of it for one process).
data::EvalSplit RankPart(const data::EvalSplit& split, int rank, int world_size) {
  if (world_size <= 1) return split;
  data::EvalSplit part = split;
  part.images.images.clear();
  for (size_t i = rank; i < split.images.images.size(); i += world_size) {
    part.images.images.push_back(split.images.images[i]);
  }
  return part;
}

// `count` images spread evenly over the split (every image when count is 0 or covers it).
metadata::SplitMetadata EvenlySpaced(const metadata::SplitMetadata& split, int count) {
  const size_t n = split.images.size();
  if (count <= 0 || static_cast<size_t>(count) >= n) return split;
  metadata::SplitMetadata sample = split;
  sample.images.clear();
  for (size_t i = 0; i < static_cast<size_t>(count); ++i) {
    sample.images.push_back(split.images[i * n / count]);
  }
  return sample;
}

}  // namespace

RunSettings RunSettingsFor(const proto::Experiment& spec) {
  RunSettings s;
  const std::string& device = spec.runtime().device();
  s.device = device == "cuda" || (device == "auto" && torch::cuda::is_available())
                 ? torch::Device(torch::kCUDA)
                 : torch::Device(torch::kCPU);
  s.dtype = spec.runtime().precision() == proto::Runtime::FLOAT64 ? torch::kDouble : torch::kFloat;
  s.threads = spec.runtime().threads() > 0
                  ? spec.runtime().threads()
                  : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  s.epochs = spec.optimizer().epochs();
  s.seed = spec.runtime().seed();
  s.backbone = {.num_classes = spec.dataset().num_classes(),
                .width_multiplier = spec.backbone().width_multiplier(),
                .large_feature_map = spec.backbone().large_feature_map()};
  const proto::Optimizer& o = spec.optimizer();
  s.sgd = {.lr = o.lr(),
           .momentum = o.momentum(),
           .nesterov = o.nesterov(),
           .weight_decay = o.weight_decay(),
           .classifier_lr_multiplier = o.classifier_lr_multiplier(),
           .decay_every_epochs = o.decay_every_epochs(),
           .decay_factor = o.decay_factor()};
  s.train_loader = LoaderOptionsFor(spec, /*train=*/true);
  s.eval_loader = LoaderOptionsFor(spec, /*train=*/false);
  s.eval_transform = s.eval_loader.transform;
  s.selection_evaluator = EvaluatorOptionsFor(spec, /*full=*/false);
  s.test_evaluator = EvaluatorOptionsFor(spec, /*full=*/true);
  s.select_on_test = spec.evaluation().selection_split() == "test";
  s.score_last_epoch = spec.evaluation().checkpoint_selection() == proto::Evaluation::LAST_EPOCH;
  s.observe_every_epochs = spec.evaluation().observe_every_epochs();
  s.checkpoint_every_epochs = spec.runtime().checkpoint_every_epochs();
  s.save_scoremaps = spec.evaluation().save_scoremaps();
  s.multi_label = spec.dataset().multi_label();
  return s;
}

absl::StatusOr<Model> BuildModel(const proto::Experiment& spec, const Components& components) {
  const RunSettings settings = RunSettingsFor(spec);
  Model built;
  const ScopedDefaultDtype dtype(settings.dtype);
  if (!components.build_method) {
    return absl::FailedPreconditionError("no method builder given to the trainer (Components)");
  }
  WSOL_ASSIGN_OR_RETURN(std::shared_ptr<methods::Method> method,
                        components.build_method(spec.method()));
  WSOL_ASSIGN_OR_RETURN(built.regularizer, regularizers::BuildRegularizer(spec.regularizer()));
  std::shared_ptr<backbones::Backbone> backbone;
  WSOL_RETURN_IF_ERROR(TorchStatus("backbone", [&] {
    torch::manual_seed(settings.seed);
    backbone = backbones::CreateBackbone(spec.backbone().architecture(), settings.backbone);
  }));
  if (!spec.backbone().pretrained_path().empty()) {
    WSOL_RETURN_IF_ERROR(VerifyZipChecksums(spec.backbone().pretrained_path()));
    backbones::ImportReport report;
    WSOL_RETURN_IF_ERROR(TorchStatus(spec.backbone().pretrained_path(), [&] {
      report = backbones::ImportCheckpoint(spec.backbone().pretrained_path(), *backbone, {});
    }));
    if (report.ok && report.unexpected.empty() && report.mis_shaped.empty()) {
      // The expected case: every pretrained tensor fits; the new layers (the classifier a
      // WSOL run trains from scratch) keep their initialization.
      std::cerr << absl::StrFormat("pretrained weights: %d tensors from %s%s\n",
                                   report.copied.size(), spec.backbone().pretrained_path(),
                                   report.missing.empty()
                                       ? ""
                                       : absl::StrCat("; new layers start from their "
                                                      "initialization: ",
                                                      absl::StrJoin(report.missing, ", ")));
    } else if (report.ok) {
      std::cerr << report.Summary();
    }
    if (!report.ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("backbone.pretrained_path = ", spec.backbone().pretrained_path(),
                       ": weights do not fit:\n", report.Summary()));
    }
  }
  WSOL_RETURN_IF_ERROR(TorchStatus("model", [&] {
    built.model = std::make_shared<WsolModel>(backbone, method, spec.dataset().num_classes());
    built.model->to(settings.device, settings.dtype);
  }));
  return built;
}

absl::StatusOr<std::unique_ptr<Run>> BuildRun(const proto::Experiment& spec,
                                              const Components& components,
                                              const BuildRunOptions& options) {
  WSOL_RETURN_IF_ERROR(spec::ValidateExperiment(spec));
  auto run = std::make_unique<Run>();
  run->settings = RunSettingsFor(spec);
  RunSettings& s = run->settings;
  at::set_num_threads(s.threads);
  if (spec.runtime().device() == "cuda" && !torch::cuda::is_available()) {
    return absl::FailedPreconditionError(
        "runtime.device = \"cuda\" but this LibTorch sees no CUDA device (build against a CUDA "
        "LibTorch with LIBTORCH_HOME, see README)");
  }

  if (!components.load_splits) {
    return absl::FailedPreconditionError("no data source given to the trainer (Components)");
  }
  WSOL_ASSIGN_OR_RETURN(run->splits,
                        components.load_splits(spec.dataset(), {.cache_dir = options.cache_dir,
                                                                .with_val = !s.select_on_test}));
  if (options.world_size > 1) {
    if (s.train_loader.batch_size % options.world_size != 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "optimizer.batch_size = %d is not a multiple of the %d data-parallel processes",
          s.train_loader.batch_size, options.world_size));
    }
    s.train_loader.batch_size /= options.world_size;
    s.train_loader.shard_index = options.rank;
    s.train_loader.num_shards = options.world_size;
  }
  run->rank = options.rank;
  run->world_size = options.world_size;
  s.train_loader.image_root = run->splits.image_root;
  s.eval_loader.image_root = run->splits.image_root;
  FromSplit(run->selection(), run->splits.mask_root, &s.selection_evaluator);
  FromSplit(run->splits.test, run->splits.mask_root, &s.test_evaluator);
  WSOL_ASSIGN_OR_RETURN(run->train_loader,
                        data::ImageLoader::Create(run->splits.train, s.train_loader));
  run->selection_part = RankPart(run->selection(), options.rank, options.world_size);
  run->test_part = RankPart(run->splits.test, options.rank, options.world_size);
  WSOL_ASSIGN_OR_RETURN(run->selection_loader,
                        data::ImageLoader::Create(run->selection_part.images, s.eval_loader));
  WSOL_ASSIGN_OR_RETURN(run->test_loader,
                        data::ImageLoader::Create(run->test_part.images, s.eval_loader));

  run->train_sample.images =
      EvenlySpaced(run->splits.train, spec.evaluation().train_entropy_images());
  run->train_sample_part = RankPart(run->train_sample, options.rank, options.world_size);
  WSOL_ASSIGN_OR_RETURN(run->train_sample_loader,
                        data::ImageLoader::Create(run->train_sample_part.images, s.eval_loader));

  WSOL_ASSIGN_OR_RETURN(run->model, BuildModel(spec, components));
  WSOL_RETURN_IF_ERROR(
      TorchStatus("optimizer", [&] { run->sgd = MakeSgd(*run->model.model, s.sgd); }));
  return run;
}

}  // namespace wsol::train
