#include "wsol/cam/cam.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

namespace wsol::cam {

at::Tensor ClassActivationMaps(const at::Tensor& features, const at::Tensor& weight,
                               const at::Tensor& classes) {
  TORCH_CHECK_VALUE(features.dim() == 4, "features must be [B, K, h, w], got ", features.sizes());
  TORCH_CHECK_VALUE(weight.dim() == 2 && weight.size(1) == features.size(1),
                    "classifier weight must be [C, K=", features.size(1), "], got ",
                    weight.sizes());
  TORCH_CHECK_VALUE(classes.dim() == 1 && classes.size(0) == features.size(0),
                    "classes must be [B=", features.size(0), "], got ", classes.sizes());
  const at::Tensor selected = weight.index_select(0, classes.to(weight.device()));  // [B, K]
  // One batched matrix product: [B, 1, K] x [B, K, h*w].
  const auto b = features.size(0), k = features.size(1), h = features.size(2), w = features.size(3);
  at::Tensor maps = at::bmm(selected.unsqueeze(1), features.reshape({b, k, h * w}));
  return maps.reshape({b, h, w}) / static_cast<double>(k);
}

at::Tensor GradCam(const at::Tensor& features, const at::Tensor& scores) {
  TORCH_CHECK_VALUE(features.dim() == 4, "features must be [B, K, h, w], got ", features.sizes());
  const at::Tensor grads =
      torch::autograd::grad({scores.sum()}, {features}, {}, /*retain_graph=*/true)[0];
  const at::Tensor alpha = grads.mean({2, 3}, /*keepdim=*/true);
  return at::relu((alpha * features).sum(1)).detach();
}

at::Tensor NormalizeMinMax(const at::Tensor& maps) {
  TORCH_CHECK_VALUE(maps.dim() == 3, "maps must be [B, H, W], got ", maps.sizes());
  const at::Tensor flat = maps.reshape({maps.size(0), -1});
  const auto [lo, hi] = at::aminmax(flat, /*dim=*/1, /*keepdim=*/true);
  const at::Tensor range = hi - lo;
  // A constant map, or NaN or an infinity anywhere (min/max then NaN or infinite), gives an
  // all-zero map, as metrics::NormalizeCam.
  const at::Tensor degenerate = (range == 0) | ~at::isfinite(range);
  at::Tensor normalized = ((flat - lo) / range).masked_fill_(degenerate, 0);
  return normalized.reshape(maps.sizes());
}

at::Tensor ResizeAndNormalize(const at::Tensor& maps, int64_t height, int64_t width) {
  TORCH_CHECK_VALUE(maps.dim() == 3, "maps must be [B, h, w], got ", maps.sizes());
  const at::ScalarType type = maps.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  const at::Tensor resized = at::upsample_bicubic2d(maps.unsqueeze(1).to(type), {height, width},
                                                    /*align_corners=*/false)
                                 .squeeze(1);
  return NormalizeMinMax(resized);
}

}  // namespace wsol::cam
