// cutmix_method.h
//
// CutMix (Yun et al., ICCV 2019), as wsolevaluation's wsol/method/cutmix.py and main.py:
// with probability prob per batch, draw lam ~ Beta(beta, beta) and a box of
// sqrt(1 - lam) times the image's height and width around a uniformly drawn centre,
// clipped to the image; paste that box from a permutation of the batch. The target of
// image b becomes lam' * targets[b] + (1 - lam') * targets[perm[b]], where lam' = 1 -
// (pasted area / image area) is recomputed from the clipped box. Cross-entropy is linear in
// the target, so this equals wsolevaluation's lam * CE(a) + (1 - lam) * CE(b); the
// label-free regularizer term sees the mixed image as is.
//
//   CutMixBatch mixed = CutMix(images, targets, /*beta=*/1.0, rng);
//   // mixed.images, mixed.targets, mixed.box, mixed.permutation, mixed.pasted_fraction
// Modelling core: LibTorch and the standard library only.
#ifndef BASELINES_CUTMIX_METHOD_H_
#define BASELINES_CUTMIX_METHOD_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "wsol/methods/method.h"

namespace wsol::baselines {

// Rows [y0, y1) and columns [x0, x1) of the pasted box; empty when y0 == y1 or x0 == x1.
struct CutMixBox {
  int64_t y0 = 0, y1 = 0, x0 = 0, x1 = 0;
  int64_t Area() const { return (y1 - y0) * (x1 - x0); }
};

struct CutMixBatch {
  at::Tensor images;   // [B, C, H, W], the box pasted from images[perm]
  at::Tensor targets;  // [B, C'] mixed by the pasted area
  CutMixBox box;
  std::vector<int64_t> permutation;  // source image of each image's box
  double pasted_fraction = 0.0;      // box area / image area = 1 - lam'
};

// The box for an image of height x width given lam: cut side = int(side * sqrt(1 - lam))
// (truncated, as wsolevaluation's np.int), centre (cy, cx) uniform over the pixels, half
// the cut side (integer division) on each side, clipped to the image.
CutMixBox CutMixBoxFor(int64_t height, int64_t width, double lam, std::mt19937_64& rng);

// One CutMix draw: lam ~ Beta(beta, beta) (as X / (X + Y), X, Y ~ Gamma(beta, 1)), a
// uniformly random permutation of the batch, the box, and the area-mixed targets.
CutMixBatch CutMix(const at::Tensor& images, const at::Tensor& targets, double beta,
                   std::mt19937_64& rng);

class CutMixMethod : public methods::Method {
 public:
  CutMixMethod(double beta, double prob);
  std::string Name() const override { return "cutmix"; }
  // In training mode, with probability prob (one uniform draw per batch), CutMix the
  // batch; then the loss against the (mixed) targets.
  methods::StepOutput TrainingStep(backbones::Backbone& backbone, const at::Tensor& images,
                                   const at::Tensor& targets,
                                   const regularizers::Regularizer& regularizer,
                                   std::mt19937_64& rng) override;

 private:
  double beta_;
  double prob_;
};

}  // namespace wsol::baselines

#endif  // BASELINES_CUTMIX_METHOD_H_
