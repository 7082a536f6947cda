// acol_method.h
//
// ACoL, Adversarial Complementary Learning (Zhang et al., CVPR 2018), as wsolevaluation's
// wsol/method/acol.py and its ResNetAcol head. Two classifier branches read the backbone's
// last feature map F; each is conv3x3(K -> hidden) + ReLU + conv3x3(hidden -> hidden) + ReLU
// + conv1x1(hidden -> C) and produces class maps directly, whose spatial mean are its
// logits (wsolevaluation's classifier_A / classifier_B, hidden = 1024).
//   Branch A sees F. Its map of the ground-truth class (predicted class when no labels are
//   given), min-max normalized per image, is the attention; F is erased (set to 0) where
//   attention >= erasing_threshold, and branch B sees the erased features.
//   Loss: the regularizer's loss on branch A's logits plus the same on branch B's logits
//   (wsolevaluation: CE(A) + CE(B); the paper's ER term is therefore added to both
//   classifiers). Logits reported for classification are branch A's.
//   CAM at inference: the element-wise max of the two branches' min-max normalized maps
//   of the requested class, with the erasure driven by that class (as wsolevaluation's
//   return_cam path, which passes the labels to the forward).
// Simplifications: the branches read the backbone's feature map, which for ResNet50 is
// wsolevaluation's (layer4); for VGG16 they read conv6's output instead of conv5_3 after
// wsolevaluation's extra 3x3 average pool, and for InceptionV3 the SPG_A3_2b head instead
// of Mixed_6e. The backbone's own fc layer is unused. Weights use He initialization
// (wsolevaluation's ResNetAcol; its VGG / Inception variants use Xavier).
//
//   auto acol = std::make_shared<AcolMethod>(/*erasing_threshold=*/0.7, /*hidden=*/1024);
//   acol->Attach(*backbone, num_classes);   // creates classifier_A and classifier_B
// Modelling core: LibTorch and the standard library only.
#ifndef BASELINES_ACOL_METHOD_H_
#define BASELINES_ACOL_METHOD_H_

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wsol/methods/method.h"

namespace wsol::baselines {

// 1 where the min-max normalized map of class labels[b] in maps [B, C, h, w] is
// >= threshold, else 0; [B, 1, h, w], no gradient. Constant maps normalize to 0.
at::Tensor AcolEraseMask(const at::Tensor& maps, const at::Tensor& labels, double threshold);

struct AcolForward {
  at::Tensor logits_a, logits_b;  // [B, C]
  at::Tensor maps_a, maps_b;      // [B, C, h, w]
  at::Tensor erase_mask;          // [B, 1, h, w], 1 = erased
  at::Tensor erased_features;     // branch B's input
  std::vector<at::Tensor> stages;
};

class AcolMethod : public methods::Method {
 public:
  AcolMethod(double erasing_threshold, int64_t hidden_channels);
  std::string Name() const override { return "acol"; }
  void Attach(backbones::Backbone& backbone, int64_t num_classes) override;
  methods::StepOutput TrainingStep(backbones::Backbone& backbone, const at::Tensor& images,
                                   const at::Tensor& targets,
                                   const regularizers::Regularizer& regularizer,
                                   std::mt19937_64& rng) override;
  methods::Inference Infer(backbones::Backbone& backbone, const at::Tensor& images,
                           const at::Tensor& classes) override;

  // Both branches on the backbone's features; labels [B] drive the erasure.
  AcolForward Run(backbones::Backbone& backbone, const at::Tensor& images,
                  const at::Tensor& labels);

 private:
  double erasing_threshold_;
  int64_t hidden_channels_;
  std::shared_ptr<torch::nn::Module> classifier_a_, classifier_b_;
};

}  // namespace wsol::baselines

#endif  // BASELINES_ACOL_METHOD_H_
