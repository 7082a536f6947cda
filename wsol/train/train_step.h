// train_step.h
//
// One training step, the one every caller runs (the trainer, //wsol/train:train_step_cli,
// the step benchmark, tools/gpu/gpu_check and the method tests): zero the gradients, the
// method's training forward and loss, backward, SGD. A non-finite loss stops the step
// before backward, leaving the weights and the optimizer untouched.
// Modelling core: LibTorch and the standard library only.
//
//   StepResult step = TrainStep(model, *sgd, *regularizer, images, targets, rng);
//   if (!step.finite) ...;  // step.loss, step.classification, step.regularization
#ifndef WSOL_TRAIN_TRAIN_STEP_H_
#define WSOL_TRAIN_TRAIN_STEP_H_

#include <ATen/core/Tensor.h>

#include <random>

#include "wsol/methods/method.h"
#include "wsol/regularizers/regularizer.h"
#include "wsol/train/training_state.h"

namespace wsol::train {

struct StepResult {
  at::Tensor logits;  // [B, C] of the main classifier
  double loss = 0;    // total loss, classification and regularization (weighted) terms
  double classification = 0;
  double regularization = 0;
  bool finite = true;  // false: nothing was applied
};

// Wall seconds of a step's parts, added to by TrainStep when given (on a CPU every op
// finishes before the next starts; on CUDA the times are those of queuing the work).
struct StepSeconds {
  double forward = 0;  // the method's training forward and loss
  double backward = 0;
  double optimizer = 0;  // zeroing the gradients and the SGD step
};

// What a data-parallel step shares with the other processes (distributed.h implements it
// on c10d); null for a single process. Failures throw c10::Error.
class StepSync {
 public:
  virtual ~StepSync() = default;
  // Before the forward pass: the buffers (BatchNorm's running statistics) become rank 0's,
  // as DistributedDataParallel's broadcast_buffers does.
  virtual void SyncBuffers(WsolModel& model) = 0;
  // Whether every process's loss is finite: all of them skip the step together.
  virtual bool AllFinite(bool finite) = 0;
  // Just before backward from `loss`: gradients may be reduced while backward runs.
  virtual void BeforeBackward(const at::Tensor& loss) = 0;
  // After backward: each gradient is its mean over the processes once this returns.
  virtual void AverageGradients(WsolModel& model) = 0;
};

// One SGD step of `model` on `images` [B, 3, H, W] with target distributions `targets`
// [B, C] (both on the model's device and of its type); randomness of batch-level
// augmentations comes from `rng`. With `sync`, this process's batch is its slice of the
// global batch and the gradients are averaged over the processes before SGD.
StepResult TrainStep(WsolModel& model, torch::optim::SGD& sgd,
                     const regularizers::Regularizer& regularizer, const at::Tensor& images,
                     const at::Tensor& targets, std::mt19937_64& rng, StepSync* sync = nullptr,
                     StepSeconds* seconds = nullptr);

// The same forward and backward without an optimizer: the model's gradients are left in
// place (zeroed first), for comparing them across devices.
methods::StepOutput ComputeGradients(WsolModel& model, const regularizers::Regularizer& regularizer,
                                     const at::Tensor& images, const at::Tensor& targets,
                                     std::mt19937_64& rng);

}  // namespace wsol::train

#endif  // WSOL_TRAIN_TRAIN_STEP_H_
