// training_state.h
//
// What a run trains and saves: the model (backbone + method, one module so train/eval
// mode and checkpoints cover both), SGD with wsolevaluation's two learning-rate groups
// and step decay, and atomic checkpoints that let a killed run resume exactly.
// Modelling core: LibTorch and the standard library only (errors are c10::Error).
#ifndef WSOL_TRAIN_TRAINING_STATE_H_
#define WSOL_TRAIN_TRAINING_STATE_H_

#include <torch/nn/module.h>

#include <cstdint>
#include <memory>
#include <string>

#include "wsol/backbones/backbone.h"
#include "wsol/methods/method.h"

namespace torch::optim {
class SGD;
}  // namespace torch::optim

namespace wsol::train {

struct SgdSettings {
  double lr = 0.01;
  double momentum = 0.9;
  bool nesterov = true;
  double weight_decay = 1e-4;
  double classifier_lr_multiplier = 10.0;
  int decay_every_epochs = 30;
  double decay_factor = 0.1;
};

class WsolModel : public torch::nn::Module {
 public:
  WsolModel(std::shared_ptr<backbones::Backbone> backbone, std::shared_ptr<methods::Method> method,
            int64_t num_classes);
  backbones::Backbone& backbone() { return *backbone_; }
  methods::Method& method() { return *method_; }

 private:
  std::shared_ptr<backbones::Backbone> backbone_;
  std::shared_ptr<methods::Method> method_;
};

// SGD over two groups: the backbone's feature parameters at lr, and its new layers at
// lr * classifier_lr_multiplier. The method's branches join the new layers where the
// backbone says wsolevaluation puts them there (VGG16, InceptionV3), else the features
// (ResNet: only layer4 and fc get the multiplier).
std::unique_ptr<torch::optim::SGD> MakeSgd(WsolModel& model, const SgdSettings& settings);

// Base learning rate in `epoch` (0-based), as wsolevaluation's schedule:
// lr * decay_factor^floor((epoch + 1) / decay_every_epochs). With an interval of 3 the
// first decay comes before the third epoch (0-based epoch 2).
double LearningRateForEpoch(const SgdSettings& settings, int epoch);
void SetEpochLearningRate(torch::optim::SGD& sgd, const SgdSettings& settings, int epoch);
// The base rate the optimizer applies now (its first group's), what history.csv records:
// the rate used, not one computed beside it.
double AppliedLearningRate(const torch::optim::SGD& sgd);

struct CheckpointMeta {
  int64_t next_epoch = 0;    // First epoch still to run.
  double best_score = -1.0;  // Best validation localization score so far.
  int64_t best_epoch = -1;
  std::string spec_fingerprint;  // A resume with another spec is refused.
  std::string history_csv;       // Per-epoch history written so far.
  // Processes of the data-parallel job that wrote it (1 before the field existed): an
  // unfinished run resumes only with the same world size.
  int64_t world_size = 1;
};

// Model, optimizer (when not null) and meta as the bytes of a LibTorch archive, for the
// caller to write (wsol/util/file_io.h: atomically, with write errors named).
std::string SerializeCheckpoint(WsolModel& model, torch::optim::SGD* sgd,
                                const CheckpointMeta& meta);

// Restores what SerializeCheckpoint wrote to `path` (sgd may be null: weights only).
CheckpointMeta LoadCheckpoint(const std::string& path, WsolModel& model, torch::optim::SGD* sgd);

}  // namespace wsol::train

#endif  // WSOL_TRAIN_TRAINING_STATE_H_
