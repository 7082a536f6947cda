// pxap.h
//
// Pixel average precision (PxAP), wsolevaluation's MaskEvaluator as a streaming
// accumulator, and its per-class mean (mPxAP) for multi-label data.
//
// Score-map values at ground-truth foreground and background pixels are counted in the
// bins [0, d), [d, 2d), ..., [1 - d, 1), [1, 2), [2, 3] (d the CAM curve interval; values
// compared in double exactly as numpy.histogram with explicit edges); pixels of the ignore
// region are left out. Precision and recall at each threshold come from the counts from
// the top, and PxAP = sum over thresholds of precision[i] * (recall[i] - recall[i - 1])
// where precision is defined, in percent, summed in numpy's pairwise order.
//
// Ground-truth masks follow wsolevaluation's get_mask: instance masks are read as
// grayscale, resized with nearest neighbour to the evaluation size and OR-ed (a pixel is
// on where its value is non-zero); the ignore region is the ignore mask minus the
// foreground. A mask is a CV_8U map of kMaskBackground, kMaskForeground and kMaskIgnore.
//
//   WSOL_ASSIGN_OR_RETURN(Pxap pxap, Pxap::Create({.cam_curve_interval = 0.001}));
//   WSOL_ASSIGN_OR_RETURN(cv::Mat mask, LoadGtMask(root, record.mask_paths,
//                                                  record.ignore_path, {224, 224}));
//   WSOL_RETURN_IF_ERROR(pxap.Add(scoremap, mask));
//   WSOL_ASSIGN_OR_RETURN(PxapResult result, pxap.Compute());  // result.pxap
#ifndef WSOL_METRICS_PXAP_H_
#define WSOL_METRICS_PXAP_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "opencv2/core.hpp"

namespace wsol::metrics {

inline constexpr uint8_t kMaskBackground = 0;
inline constexpr uint8_t kMaskForeground = 1;
inline constexpr uint8_t kMaskIgnore = 255;

// ResizeNearest resizes a CV_8UC1 map to `size` picking, like cv::resize with
// INTER_NEAREST, source column min(floor(x * (1 / (W' / W))), W - 1) (rows alike).
cv::Mat ResizeNearest(const cv::Mat& map, cv::Size size);

// BuildGtMask combines CV_8UC1 instance masks (at least one) and an optional ignore mask
// (empty for none), each of any size, into a `size` mask as described above.
absl::StatusOr<cv::Mat> BuildGtMask(absl::Span<const cv::Mat> instance_masks,
                                    const cv::Mat& ignore_mask, cv::Size size);

// LoadGtMask reads `mask_paths` and `ignore_path` (empty for none), relative to
// `mask_root`, as grayscale images and calls BuildGtMask. A file that cannot be read
// gives NotFound naming its path.
absl::StatusOr<cv::Mat> LoadGtMask(const std::string& mask_root,
                                   absl::Span<const std::string> mask_paths,
                                   const std::string& ignore_path, cv::Size size);

// NumpySum adds `values` as numpy.sum does for a contiguous float64 array (pairwise
// summation in blocks of up to 128, eight partial sums per block), so results agree with
// numpy to the last bit.
double NumpySum(absl::Span<const double> values);

struct PxapOptions {
  // Bin edges are numpy.arange(0, 1, cam_curve_interval) followed by 1, 2, 3.
  double cam_curve_interval = 0.01;
};

struct PxapResult {
  int64_t num_images = 0;
  // PxAP in percent.
  double pxap = 0;
  // Pixel counts per bin [0, d), ..., [1 - d, 1), [1, 2), [2, 3].
  std::vector<int64_t> gt_true_hist;
  std::vector<int64_t> gt_false_hist;
  // Precision and recall at each threshold from the top: index i counts the pixels of
  // the last i + 1 bins (index 0 the bin [2, 3]); precision is NaN where no pixel counts.
  std::vector<double> precision;
  std::vector<double> recall;
};

class Pxap {
 public:
  static absl::StatusOr<Pxap> Create(const PxapOptions& options);

  // Add counts one image: `scoremap` must pass CheckScoremap and `gt_mask` be a CV_8UC1
  // map of the same size holding only kMaskBackground, kMaskForeground and kMaskIgnore.
  // On error nothing is counted.
  absl::Status Add(const cv::Mat& scoremap, const cv::Mat& gt_mask);

  // Merge adds the counts of `other`, which must have equal options.
  absl::Status Merge(const Pxap& other);

  // The counts as a flat list and back, as BoxAccuracy::AppendCounts / AddCounts.
  void AppendCounts(std::vector<int64_t>* counts) const;
  absl::Status AddCounts(absl::Span<const int64_t> counts, size_t* offset);

  // Compute returns PxAP; FailedPrecondition when no ground-truth foreground pixel (or no
  // pixel at all) was counted, the two cases wsolevaluation raises on.
  absl::StatusOr<PxapResult> Compute() const;

  int64_t num_images() const { return num_images_; }
  const PxapOptions& options() const { return options_; }

 private:
  Pxap(const PxapOptions& options, std::vector<double> edges);

  PxapOptions options_;
  std::vector<double> edges_;  // Bin edges, num_bins + 1 of them.
  int64_t num_images_ = 0;
  std::vector<int64_t> true_hist_;
  std::vector<int64_t> false_hist_;
};

struct MeanPxapResult {
  // PxAP per class in percent; NaN for a class without ground-truth foreground pixels.
  std::vector<double> per_class;
  // The mean over the classes with a PxAP, and how many there are.
  double mean_pxap = 0;
  int num_classes_scored = 0;
};

// MeanPxap holds one Pxap per class: each image adds, per class present, the score map of
// that class and the mask of that class's instances.
class MeanPxap {
 public:
  static absl::StatusOr<MeanPxap> Create(int num_classes, const PxapOptions& options);

  absl::Status Add(int class_index, const cv::Mat& scoremap, const cv::Mat& gt_mask);
  absl::Status Merge(const MeanPxap& other);
  void AppendCounts(std::vector<int64_t>* counts) const;
  absl::Status AddCounts(absl::Span<const int64_t> counts, size_t* offset);
  // FailedPrecondition when no class has a ground-truth foreground pixel.
  absl::StatusOr<MeanPxapResult> Compute() const;

 private:
  explicit MeanPxap(std::vector<Pxap> per_class) : per_class_(std::move(per_class)) {}
  std::vector<Pxap> per_class_;
};

}  // namespace wsol::metrics

#endif  // WSOL_METRICS_PXAP_H_
