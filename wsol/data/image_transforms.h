// image_transforms.h
//
// Decoding and the per-image transforms of wsolevaluation's data loader, without LibTorch:
//   train: resize to resize_size x resize_size, random crop crop_size x crop_size,
//          random horizontal flip (p = 0.5), ImageNet mean/std normalization;
//   eval:  resize to eval_size x eval_size, normalization.
// Resizing ignores the aspect ratio, as their transforms.Resize((s, s)) does. Enlarging is
// bilinear; shrinking is antialiased (bilinear to an integer multiple of the target, then
// block averaging), close to PIL's antialiased bilinear resize that torchvision uses on
// images (bit-exact parity with PIL is not a goal).
// The random parameters are drawn separately (DrawAugmentation) so a caller can derive
// them from a per-image seed and stay deterministic under any threading.
//
//   absl::StatusOr<cv::Mat> rgb = wsol::data::DecodeImage(path);
//   wsol::Rng rng(seed);
//   std::vector<float> chw(3 * 64 * 64);
//   wsol::data::TransformImage(*rgb, options, DrawAugmentation(options, rng), chw.data());
#ifndef WSOL_DATA_IMAGE_TRANSFORMS_H_
#define WSOL_DATA_IMAGE_TRANSFORMS_H_

#include <array>
#include <string>

#include "absl/status/statusor.h"
#include "opencv2/core.hpp"
#include "wsol/util/rng.h"

namespace wsol::data {

// ImageNet channel statistics (RGB), used by wsolevaluation and torchvision.
inline constexpr std::array<float, 3> kImageNetMean = {0.485f, 0.456f, 0.406f};
inline constexpr std::array<float, 3> kImageNetStd = {0.229f, 0.224f, 0.225f};

struct TransformOptions {
  bool train = false;  // Random crop and flip; otherwise the eval transform.
  int resize_size = 72;
  int crop_size = 64;
  int eval_size = 64;
  bool horizontal_flip = true;  // Train only.
  std::array<float, 3> mean = kImageNetMean;
  std::array<float, 3> std = kImageNetStd;
};

// The side of the transformed image: crop_size for train, eval_size for eval.
int OutputSide(const TransformOptions& options);

// Random choices of one training transform.
struct Augmentation {
  int crop_x = 0;  // Top-left corner of the crop in the resized image.
  int crop_y = 0;
  bool flip = false;
};

// DrawAugmentation draws the crop corner (uniform in [0, resize - crop]) and the flip
// (p = 0.5, when enabled). Eval options give the zero augmentation and draw nothing.
Augmentation DrawAugmentation(const TransformOptions& options, Rng& rng);

// DecodeImage reads `path` as 8-bit RGB (grayscale and palette images are expanded,
// alpha dropped) in the frame its pixels are stored in: an EXIF orientation tag is
// ignored, as wsolevaluation's PIL loader ignores it, because the boxes and masks are in
// that frame. NotFound when missing, DataLoss when not decodable.
absl::StatusOr<cv::Mat> DecodeImage(const std::string& path);

// TransformImage writes the transformed, normalized image into `chw` (3 x side x side
// floats, channel-major, side = OutputSide(options)).
void TransformImage(const cv::Mat& rgb, const TransformOptions& options,
                    const Augmentation& augmentation, float* chw);

// TransformImage in its two steps: the resize, which depends on the image alone (a
// loader may keep its result), then the crop, flip and normalization.
cv::Mat ResizeForTransform(const cv::Mat& rgb, const TransformOptions& options);
void CropAndNormalize(const cv::Mat& resized, const TransformOptions& options,
                      const Augmentation& augmentation, float* chw);

}  // namespace wsol::data

#endif  // WSOL_DATA_IMAGE_TRANSFORMS_H_
