// cam.h
//
// Class activation maps (Zhou et al., CVPR 2016) read from a backbone's last conv feature
// map and classifier weights, and the post-processing of wsolevaluation's inference:
// upsample each map to the evaluation size, then min-max normalize it to [0, 1] (a map
// that is constant or contains NaN becomes all zeros).
//
//   at::Tensor raw = ClassActivationMaps(out.features, net->ClassifierWeight(), labels);
//   at::Tensor maps = ResizeAndNormalize(raw, 224, 224);  // [B, 224, 224] in [0, 1]
// Modelling core: LibTorch and the standard library only.
#ifndef WSOL_CAM_CAM_H_
#define WSOL_CAM_CAM_H_

#include <ATen/core/Tensor.h>

namespace wsol::cam {

// CAM of class classes[b] for each image b: mean over channels k of
// weight[classes[b], k] * features[b, k] (wsolevaluation's scaling; the mean and the sum
// normalize to the same map). features [B, K, h, w], weight [C, K], classes [B] int64.
// Returns [B, h, w].
at::Tensor ClassActivationMaps(const at::Tensor& features, const at::Tensor& weight,
                               const at::Tensor& classes);

// Grad-CAM (Selvaraju et al., ICCV 2017) for heads that are not GAP + linear: channel
// weights are the spatial means of d score / d features. `scores` [B] must depend on
// `features` through autograd. Returns ReLU(sum_k alpha_k features_k), [B, h, w].
at::Tensor GradCam(const at::Tensor& features, const at::Tensor& scores);

// Bicubic upsampling (align_corners = false, as OpenCV's INTER_CUBIC) of maps [B, h, w]
// to [B, height, width], then per-map min-max normalization; constant or NaN maps -> 0.
// Float64 maps stay float64; any other type is computed in float32.
at::Tensor ResizeAndNormalize(const at::Tensor& maps, int64_t height, int64_t width);

// Per-map min-max normalization of [B, H, W] (constant or NaN maps -> 0).
at::Tensor NormalizeMinMax(const at::Tensor& maps);

}  // namespace wsol::cam

#endif  // WSOL_CAM_CAM_H_
