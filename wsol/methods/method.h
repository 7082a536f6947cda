// method.h
//
// A WSOL method wraps a backbone: it may augment training batches (HaS, CutMix), act
// inside the trunk through block hooks (ADL, RDAP), add branches and loss terms (ACoL,
// SPG), and decides how the CAM is read at inference. The trainer only talks to this
// interface, so a new method is one table entry (method_registry.cc).
//
//   std::shared_ptr<Method> method = CreateMethod("cam", {});
//   method->Attach(*backbone, num_classes);
//   StepOutput step = method->TrainingStep(*backbone, images, targets, *regularizer, rng);
//   Inference inf = method->Infer(*backbone, images, gt_classes);
// Modelling core: LibTorch and the standard library only.
#ifndef WSOL_METHODS_METHOD_H_
#define WSOL_METHODS_METHOD_H_

#include <torch/nn/module.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "wsol/backbones/backbone.h"
#include "wsol/regularizers/regularizer.h"

namespace wsol::methods {

struct StepOutput {
  at::Tensor logits;             // [B, C] of the main classifier
  regularizers::LossTerms loss;  // total includes any method-specific terms
};

struct Inference {
  at::Tensor logits;               // [B, C]
  at::Tensor cams;                 // [B, h, w] raw CAMs of the requested classes (not normalized)
  std::vector<at::Tensor> stages;  // the backbone's per-stage features
};

class Method : public torch::nn::Module {
 public:
  // The spec's oneof field name ("cam", "has", ...).
  virtual std::string Name() const = 0;

  // Called once before training (and before loading a checkpoint): installs hooks and
  // creates any branch modules sized from the backbone.
  virtual void Attach(backbones::Backbone& backbone, int64_t num_classes) {
    (void)backbone;
    (void)num_classes;
  }

  // One training forward pass and its loss. `images` are normalized [B, 3, H, W];
  // `targets` [B, C] are label distributions (one-hot rows). The default: the backbone's
  // logits under the regularizer's loss. Batch-level augmentations (HaS, CutMix) modify
  // images and targets first, drawing randomness only from `rng`.
  virtual StepOutput TrainingStep(backbones::Backbone& backbone, const at::Tensor& images,
                                  const at::Tensor& targets,
                                  const regularizers::Regularizer& regularizer,
                                  std::mt19937_64& rng);

  // Evaluation-mode forward: logits and the raw CAM of classes[b] for each image.
  virtual Inference Infer(backbones::Backbone& backbone, const at::Tensor& images,
                          const at::Tensor& classes);

  // Parameters the method adds (branches); they train at the rate the backbone gives
  // method branches (Backbone::MethodBranchesAreNewLayers).
  virtual std::vector<at::Tensor> ExtraParameters() { return parameters(); }
  // Whether the backbone's classifier stands for a head the method's wsolevaluation model
  // adds (SPG's SPG_A4), so it trains at the method branches' rate, not as a new layer.
  virtual bool ClassifierIsMethodHead() const { return false; }
};

}  // namespace wsol::methods

#endif  // WSOL_METHODS_METHOD_H_
