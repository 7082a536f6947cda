#include "wsol/methods/method.h"

#include <torch/types.h>

#include "wsol/cam/cam.h"

namespace wsol::methods {

StepOutput Method::TrainingStep(backbones::Backbone& backbone, const at::Tensor& images,
                                const at::Tensor& targets,
                                const regularizers::Regularizer& regularizer,
                                std::mt19937_64& rng) {
  (void)rng;
  backbones::BackboneOutput out = backbone.Forward(images);
  return {out.logits, regularizer.Loss(out.logits, targets)};
}

Inference Method::Infer(backbones::Backbone& backbone, const at::Tensor& images,
                        const at::Tensor& classes) {
  backbones::BackboneOutput out = backbone.Forward(images);
  Inference inference;
  inference.logits = out.logits;
  inference.cams = cam::ClassActivationMaps(out.features, backbone.ClassifierWeight(), classes);
  inference.stages = std::move(out.stages);
  return inference;
}

}  // namespace wsol::methods
