#include "wsol/train/train_step.h"

#include <torch/optim/sgd.h>
#include <torch/types.h>

#include <chrono>
#include <cmath>

namespace wsol::train {

namespace {

// Adds the seconds since the last lap to `*into` (nothing without a StepSeconds).
class Laps {
 public:
  explicit Laps(StepSeconds* seconds) : seconds_(seconds) {}
  void Lap(double StepSeconds::*into) {
    if (seconds_ == nullptr) return;
    const auto now = std::chrono::steady_clock::now();
    seconds_->*into += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }

 private:
  StepSeconds* seconds_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace

StepResult TrainStep(WsolModel& model, torch::optim::SGD& sgd,
                     const regularizers::Regularizer& regularizer, const at::Tensor& images,
                     const at::Tensor& targets, std::mt19937_64& rng, StepSync* sync,
                     StepSeconds* seconds) {
  Laps laps(seconds);
  sgd.zero_grad();
  laps.Lap(&StepSeconds::optimizer);
  if (sync != nullptr) sync->SyncBuffers(model);
  methods::StepOutput out =
      model.method().TrainingStep(model.backbone(), images, targets, regularizer, rng);
  StepResult result;
  result.logits = out.logits;
  result.loss = out.loss.total.item<double>();
  laps.Lap(&StepSeconds::forward);
  const bool finite = std::isfinite(result.loss);
  if (!(sync != nullptr ? sync->AllFinite(finite) : finite)) {
    result.finite = false;
    result.classification = out.loss.classification.item<double>();
    result.regularization = out.loss.regularization.item<double>();
    return result;
  }
  if (sync != nullptr) sync->BeforeBackward(out.loss.total);
  out.loss.total.backward();
  if (sync != nullptr) sync->AverageGradients(model);
  laps.Lap(&StepSeconds::backward);
  sgd.step();
  laps.Lap(&StepSeconds::optimizer);
  result.regularization = out.loss.regularization.item<double>();
  result.classification = out.loss.classification.item<double>();
  return result;
}

methods::StepOutput ComputeGradients(WsolModel& model, const regularizers::Regularizer& regularizer,
                                     const at::Tensor& images, const at::Tensor& targets,
                                     std::mt19937_64& rng) {
  model.zero_grad();
  methods::StepOutput out =
      model.method().TrainingStep(model.backbone(), images, targets, regularizer, rng);
  out.loss.total.backward();
  return out;
}

}  // namespace wsol::train
