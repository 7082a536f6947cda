#include "wsol/train/train_step.h"

#include <torch/torch.h>

#include <cmath>

namespace wsol::train {

StepResult TrainStep(WsolModel& model, torch::optim::SGD& sgd,
                     const regularizers::Regularizer& regularizer, const at::Tensor& images,
                     const at::Tensor& targets, std::mt19937_64& rng, StepSync* sync) {
  sgd.zero_grad();
  if (sync != nullptr) sync->SyncBuffers(model);
  methods::StepOutput out =
      model.method().TrainingStep(model.backbone(), images, targets, regularizer, rng);
  StepResult result;
  result.logits = out.logits;
  result.loss = out.loss.total.item<double>();
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
  sgd.step();
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
