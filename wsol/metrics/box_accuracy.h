// box_accuracy.h
//
// Box accuracy over CAM thresholds, wsolevaluation's BoxEvaluator as a streaming
// accumulator: add one score map at a time with its ground-truth boxes (in score-map
// pixels, see RescaleBox), merge accumulators filled on other threads, compute at the end.
// Counts are integers, so the result does not depend on how images were split.
//
// An image is correct at CAM threshold t and IoU threshold u when the best IoU between
// any box predicted at t (scoremap_boxes.h) and any ground-truth box is >= u / 100.
//   MaxBoxAcc    (multi_contour = false, IoU 50): the best accuracy over the thresholds.
//   MaxBoxAccV2  (multi_contour = true, IoUs 30, 50, 70): the mean of the per-IoU bests.
//   GT-known Loc: the accuracy at IoU 50 at a fixed CAM threshold sigma (the CAM of the
//                 ground-truth class); Top-1 Loc also needs the predicted class right.
//
//   absl::StatusOr<BoxAccuracy> acc = BoxAccuracy::Create(
//       {.cam_curve_interval = 0.001, .multi_contour = true});
//   for (...) WSOL_RETURN_IF_ERROR(acc->Add(scoremap, gt_boxes, predicted == label));
//   WSOL_ASSIGN_OR_RETURN(BoxAccuracyResult result, acc->Compute());
//   // result.max_box_acc_mean is MaxBoxAccV2, in percent.
#ifndef WSOL_METRICS_BOX_ACCURACY_H_
#define WSOL_METRICS_BOX_ACCURACY_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "opencv2/core.hpp"
#include "wsol/metrics/box.h"

namespace wsol::metrics {

struct BoxAccuracyOptions {
  // CAM thresholds are numpy.arange(0, 1, cam_curve_interval) (CamThresholds).
  double cam_curve_interval = 0.01;
  // IoU thresholds in percent, each in [0, 100].
  std::vector<int> iou_thresholds = {30, 50, 70};
  // Boxes of every contour (MaxBoxAccV2) or of the largest contour only (MaxBoxAcc).
  bool multi_contour = true;
  // Fixed CAM threshold sigma for GT-known and Top-1 Loc, in [0, 1).
  double sigma = 0.15;
  // IoU threshold in percent of GT-known and Top-1 Loc.
  int loc_iou_threshold = 50;
};

struct BoxAccuracyResult {
  int64_t num_images = 0;
  std::vector<double> cam_thresholds;
  std::vector<int> iou_thresholds;
  // num_correct[u][t]: images correct at IoU threshold u and CAM threshold t, the
  // counts of wsolevaluation's BoxEvaluator.num_correct.
  std::vector<std::vector<int64_t>> num_correct;
  // Per IoU threshold: the best accuracy over CAM thresholds in percent, and the first
  // CAM threshold reaching it.
  std::vector<double> max_box_acc;
  std::vector<double> best_cam_threshold;
  // Mean of max_box_acc over the IoU thresholds (MaxBoxAccV2 for multi-contour boxes
  // and IoUs 30, 50, 70).
  double max_box_acc_mean = 0;

  // At the loc IoU threshold: GT-known and Top-1 Loc in percent at sigma, and at the CAM
  // threshold with the best GT-known Loc (the first one on a tie).
  double sigma = 0;
  double gt_known_loc_at_sigma = 0;
  double top1_loc_at_sigma = 0;
  double best_loc_cam_threshold = 0;
  double gt_known_loc_at_best = 0;
  double top1_loc_at_best = 0;
};

class BoxAccuracy {
 public:
  // Create validates `options` (InvalidArgument naming the bad field).
  static absl::StatusOr<BoxAccuracy> Create(const BoxAccuracyOptions& options);

  // Add scores one image: `scoremap` must pass CheckScoremap, `gt_boxes` (at least one)
  // are in score-map pixels, `class_correct` says whether the predicted class is right
  // (Top-1 Loc only). On error nothing is counted.
  absl::Status Add(const cv::Mat& scoremap, absl::Span<const Box> gt_boxes,
                   bool class_correct = true);

  // Merge adds the counts of `other`, which must have equal options.
  absl::Status Merge(const BoxAccuracy& other);

  // Every count as one flat list (the image count first), and its inverse: AddCounts adds
  // such a list, read from `counts` at *offset (advanced past it), e.g. the sum of the
  // lists of several processes. OutOfRange when the list is too short.
  void AppendCounts(std::vector<int64_t>* counts) const;
  absl::Status AddCounts(absl::Span<const int64_t> counts, size_t* offset);

  // Compute returns the metrics; FailedPrecondition when no image was added.
  absl::StatusOr<BoxAccuracyResult> Compute() const;

  int64_t num_images() const { return num_images_; }
  const BoxAccuracyOptions& options() const { return options_; }
  const std::vector<double>& cam_thresholds() const { return cam_thresholds_; }

 private:
  BoxAccuracy(const BoxAccuracyOptions& options, std::vector<double> cam_thresholds);

  BoxAccuracyOptions options_;
  std::vector<double> cam_thresholds_;
  int64_t num_images_ = 0;
  std::vector<std::vector<int64_t>> num_correct_;  // [IoU threshold][CAM threshold]
  std::vector<int64_t> loc_correct_;               // [CAM threshold], loc IoU
  std::vector<int64_t> top1_correct_;              // [CAM threshold], loc IoU
  int64_t loc_correct_at_sigma_ = 0;
  int64_t top1_correct_at_sigma_ = 0;
};

}  // namespace wsol::metrics

#endif  // WSOL_METRICS_BOX_ACCURACY_H_
