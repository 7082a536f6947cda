// spg_method.h
//
// SPG, Self-Produced Guidance (Zhang et al., ECCV 2018), as wsolevaluation's
// wsol/method/spg.py and its ResNetSpg / VggSpg / InceptionSpg models, in our own words.
// The backbone's classifier (GAP + fc, i.e. wsolevaluation's SPG_A4 1x1 conv then GAP)
// is trained with the regularizer's loss. Three auxiliary heads produce one-channel
// foreground logits:
//   B1 = SPG_B_shared(SPG_B_1a(side feature 1)), B2 = SPG_B_shared(SPG_B_2a(side feature 2))
//   (the side features are the outputs of the blocks SpgSideBlocks() names, e.g. ResNet50's
//   layer3.0 and layer3.5), and C = SPG_C(last feature map). SPG_B_1a / SPG_B_2a are
//   conv3x3 + ReLU to branch_channels, SPG_B_shared conv3x3 + ReLU + conv1x1 -> 1, SPG_C
//   conv3x3 + ReLU to head_channels + conv1x1 -> 1 (Xavier-uniform weights, zero biases).
// Every map is bilinearly upsampled to the input size (wsolevaluation: 224). Seeds
// (SpgSeeds) are 1 (foreground) where a map > delta_h, 0 (background) where it < delta_l,
// ignored elsewhere; if fewer than SpgMinForeground() pixels pass delta_h, foreground is
// instead where the map > 0.7 * its maximum. The guidance losses are BCE-with-logits over
// the seeded pixels:
//   B2 <- seeds of the normalized CAM of the ground-truth class     (delta_1h, delta_1l)
//   B1 <- seeds of sigmoid(B2)                                       (delta_2h, delta_2l)
//   C  <- seeds of (sigmoid(B1) + sigmoid(B2)) / 2                   (delta_3h, delta_3l)
// Loss = the regularizer's loss on the classifier's logits + the three guidance losses
// (wsolevaluation: CE + the same three). CAM at inference: the classifier's CAM, as
// wsolevaluation (SPG_A4's map of the class), so methods::Method::Infer applies.
// Simplifications: SPG reuses our backbones' trunk and classifier instead of
// wsolevaluation's SPG-specific trunks (for VGG16: conv6 instead of SPG_A_3's two convs;
// for InceptionV3 B1 reads Mixed_5d before the max pool that follows it); wsolevaluation's
// 30-pixel foreground minimum at 224 x 224 is scaled by image area.
//
//   auto spg = std::make_shared<SpgMethod>(SpgMethod::Options{});
//   spg->Attach(*backbone, num_classes);  // probes side-feature channels, creates heads
// Modelling core: LibTorch and the standard library only.
#ifndef BASELINES_SPG_METHOD_H_
#define BASELINES_SPG_METHOD_H_

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "wsol/methods/method.h"

namespace wsol::baselines {

// Seeds of maps [B, H, W]: 1 where map > high, 0 where map < low (background wins where
// both hold), -1 (ignored) elsewhere. An image with fewer than min_foreground pixels
// above `high` takes its foreground where map > 0.7 * its maximum instead.
at::Tensor SpgSeeds(const at::Tensor& maps, double high, double low, int64_t min_foreground);

// wsolevaluation's 30 foreground pixels at 224 x 224, scaled to height x width (rounded up).
int64_t SpgMinForeground(int64_t height, int64_t width);

// Mean BCE-with-logits of logits [B, H, W] against seeds over the pixels with seed >= 0;
// 0 (with gradient) when no pixel is seeded.
at::Tensor SeededBinaryCrossEntropy(const at::Tensor& logits, const at::Tensor& seeds);

struct SpgForward {
  at::Tensor logits;     // [B, C] of the classifier
  at::Tensor b1, b2, c;  // [B, H, W] upsampled foreground logits
  at::Tensor attention;  // [B, H, W] normalized CAM of the labels
  at::Tensor seeds_b2, seeds_b1, seeds_c;
};

class SpgMethod : public methods::Method {
 public:
  struct Options {
    // (delta_h, delta_l) per guidance loss; defaults are wsolevaluation's config.py.
    std::array<std::array<double, 2>, 3> thresholds = {{{0.7, 0.01}, {0.5, 0.05}, {0.7, 0.1}}};
    int64_t branch_channels = 1024;  // wsolevaluation's ResNet50 SPG_B width
    int64_t head_channels = 512;     // its SPG_C width
  };

  explicit SpgMethod(const Options& options);
  std::string Name() const override { return "spg"; }

  // Finds the side blocks, probes their channel counts with one evaluation-mode forward
  // of a 64 x 64 input, creates the heads and installs the capturing block hook.
  void Attach(backbones::Backbone& backbone, int64_t num_classes) override;
  methods::StepOutput TrainingStep(backbones::Backbone& backbone, const at::Tensor& images,
                                   const at::Tensor& targets,
                                   const regularizers::Regularizer& regularizer,
                                   std::mt19937_64& rng) override;

  // The classifier stands for wsolevaluation's SPG_A4, a head of SPG's own: on the ResNets
  // it trains at the base rate as their SPG_A4 does (outside the layer4 / fc names their
  // 10x group picks); on VGG16 and InceptionV3 at 10x, as every added head there.
  bool ClassifierIsMethodHead() const override { return true; }

  // The forward pass with every head and seed; labels [B] pick the CAM class.
  SpgForward Run(backbones::Backbone& backbone, const at::Tensor& images, const at::Tensor& labels);

  const std::vector<std::string>& side_blocks() const { return side_blocks_; }

 private:
  Options options_;
  std::vector<std::string> side_blocks_;
  bool capturing_ = false;
  std::map<std::string, at::Tensor> captured_;
  std::shared_ptr<torch::nn::Module> b1a_, b2a_, b_shared_, head_c_;
};

}  // namespace wsol::baselines

#endif  // BASELINES_SPG_METHOD_H_
