#include "baselines/cutmix_method.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace wsol::baselines {

CutMixBox CutMixBoxFor(int64_t height, int64_t width, double lam, std::mt19937_64& rng) {
  const double cut_ratio = std::sqrt(1.0 - lam);
  const auto cut_h = static_cast<int64_t>(static_cast<double>(height) * cut_ratio);
  const auto cut_w = static_cast<int64_t>(static_cast<double>(width) * cut_ratio);
  const int64_t cy = std::uniform_int_distribution<int64_t>(0, height - 1)(rng);
  const int64_t cx = std::uniform_int_distribution<int64_t>(0, width - 1)(rng);
  CutMixBox box;
  box.y0 = std::clamp<int64_t>(cy - cut_h / 2, 0, height);
  box.y1 = std::clamp<int64_t>(cy + cut_h / 2, 0, height);
  box.x0 = std::clamp<int64_t>(cx - cut_w / 2, 0, width);
  box.x1 = std::clamp<int64_t>(cx + cut_w / 2, 0, width);
  return box;
}

CutMixBatch CutMix(const at::Tensor& images, const at::Tensor& targets, double beta,
                   std::mt19937_64& rng) {
  TORCH_CHECK_VALUE(images.dim() == 4, "images must be [B, C, H, W], got ", images.sizes());
  TORCH_CHECK_VALUE(targets.dim() == 2 && targets.size(0) == images.size(0),
                    "targets must be [B=", images.size(0), ", C], got ", targets.sizes());
  TORCH_CHECK_VALUE(beta > 0.0, "CutMix beta must be > 0, got ", beta);
  std::gamma_distribution<double> gamma(beta, 1.0);
  const double x = gamma(rng), y = gamma(rng);
  const double lam = (x + y) > 0.0 ? x / (x + y) : 0.5;

  CutMixBatch out;
  const int64_t batch = images.size(0);
  out.permutation.resize(batch);
  std::iota(out.permutation.begin(), out.permutation.end(), 0);
  std::shuffle(out.permutation.begin(), out.permutation.end(), rng);

  const int64_t height = images.size(2), width = images.size(3);
  out.box = CutMixBoxFor(height, width, lam, rng);
  out.pasted_fraction = static_cast<double>(out.box.Area()) / static_cast<double>(height * width);

  const at::Tensor perm = at::tensor(out.permutation, at::kLong).to(images.device());
  out.images = images.clone();
  if (out.box.Area() > 0) {
    using at::indexing::Slice;
    const at::Tensor source = images.index_select(0, perm).index(
        {Slice(), Slice(), Slice(out.box.y0, out.box.y1), Slice(out.box.x0, out.box.x1)});
    out.images.index_put_(
        {Slice(), Slice(), Slice(out.box.y0, out.box.y1), Slice(out.box.x0, out.box.x1)}, source);
  }
  const at::Tensor mixed_from = targets.index_select(0, perm.to(targets.device()));
  out.targets = (1.0 - out.pasted_fraction) * targets + out.pasted_fraction * mixed_from;
  return out;
}

CutMixMethod::CutMixMethod(double beta, double prob) : beta_(beta), prob_(prob) {
  TORCH_CHECK_VALUE(beta > 0.0, "CutMix beta must be > 0, got ", beta);
  TORCH_CHECK_VALUE(prob >= 0.0 && prob <= 1.0, "CutMix prob must be in [0, 1], got ", prob);
}

methods::StepOutput CutMixMethod::TrainingStep(backbones::Backbone& backbone,
                                               const at::Tensor& images, const at::Tensor& targets,
                                               const regularizers::Regularizer& regularizer,
                                               std::mt19937_64& rng) {
  if (is_training() && std::uniform_real_distribution<double>(0.0, 1.0)(rng) < prob_) {
    const CutMixBatch mixed = CutMix(images, targets, beta_, rng);
    return methods::Method::TrainingStep(backbone, mixed.images, mixed.targets, regularizer, rng);
  }
  return methods::Method::TrainingStep(backbone, images, targets, regularizer, rng);
}

}  // namespace wsol::baselines
