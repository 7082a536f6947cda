// split_scores.h
//
// Every localization metric the annotations of a split allow, accumulated image by
// image: MaxBoxAccV2 (and, optionally, MaxBoxAcc with Top-1 / GT-known Loc) for boxes,
// PxAP for masks, and for multi-label masks (PASCAL VOC) mPxAP, the mean over classes of
// the PxAP of each class's CAM against that class's own mask. The trainer and
// //tools:evaluate both score through it, so their numbers agree by construction.
//
//   absl::StatusOr<SplitScores> scores = SplitScores::Create(
//       {.boxes = true, .masks = true, .max_box_acc = true});
//   for (each image) {
//     ImageTruth truth{.labels = {label}, .boxes = boxes_in_map_pixels, .masks = {mask}};
//     WSOL_RETURN_IF_ERROR(scores->Add(truth, {scoremap}, predicted == label));
//   }
//   WSOL_ASSIGN_OR_RETURN(SplitScoresResult result, scores->Compute());
//
// Multi-label (multi_label = true): an image brings one score map per label, maps[k]
// the CAM of labels[k], and one mask per label, masks[k] the mask of labels[k] (with the
// image's ignore region). Each (map, mask) pair counts once in the pooled PxAP and once in
// its class's PxAP; mPxAP averages the classes that have foreground pixels. Single-label
// mask data brings one map and one mask (the union of the image's instance masks), as
// wsolevaluation scores it.
#ifndef WSOL_METRICS_SPLIT_SCORES_H_
#define WSOL_METRICS_SPLIT_SCORES_H_

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "opencv2/core.hpp"
#include "wsol/metrics/box.h"
#include "wsol/metrics/box_accuracy.h"
#include "wsol/metrics/pxap.h"

namespace wsol::metrics {

struct SplitScoresOptions {
  double cam_curve_interval = 0.001;
  // MaxBoxAccV2's IoU thresholds and contour mode.
  std::vector<int> iou_thresholds = {30, 50, 70};
  bool multi_contour = true;
  // CAM threshold sigma of Top-1 / GT-known Loc.
  double sigma = 0.15;
  // What the annotations allow: box metrics, mask metrics, or both.
  bool boxes = false;
  bool masks = false;
  // Also MaxBoxAcc (largest contour, IoU 50) with Top-1 / GT-known Loc at sigma.
  bool max_box_acc = false;
  // One map and one mask per label, and mPxAP over num_classes classes.
  bool multi_label = false;
  int num_classes = 0;
};

// One image's ground truth, in score-map pixels.
struct ImageTruth {
  std::vector<int> labels;
  std::vector<Box> boxes;      // Box data: at least one.
  std::vector<cv::Mat> masks;  // Mask data: one (single-label) or one per label.
};

struct SplitScoresResult {
  int64_t num_images = 0;
  std::optional<BoxAccuracyResult> max_box_acc_v2;  // With boxes.
  std::optional<BoxAccuracyResult> max_box_acc;     // With boxes and max_box_acc.
  std::optional<PxapResult> pxap;                   // With masks.
  std::optional<MeanPxapResult> mean_pxap;          // With masks and multi_label.
};

class SplitScores {
 public:
  // InvalidArgument naming the option when the options are inconsistent.
  static absl::StatusOr<SplitScores> Create(const SplitScoresOptions& options);

  // Scores one image. `maps` holds one score map (maps[k] the CAM of truth.labels[k] with
  // multi_label, else maps[0] the CAM of the image's class); each must pass
  // CheckScoremap. `class_correct` feeds Top-1 Loc. On error nothing is counted.
  absl::Status Add(const ImageTruth& truth, absl::Span<const cv::Mat> maps,
                   bool class_correct = true);

  // Adds the counts of `other` (same options).
  absl::Status Merge(const SplitScores& other);

  // Every count as one flat list, and MergeCounts adds such a list (of equal options): a
  // data-parallel evaluation sums the lists of its processes and scores the sum, giving
  // exactly the numbers of one process that saw every image. InvalidArgument when the
  // list's length does not fit these options.
  std::vector<int64_t> Counts() const;
  absl::Status MergeCounts(absl::Span<const int64_t> counts);

  absl::StatusOr<SplitScoresResult> Compute() const;

  const SplitScoresOptions& options() const { return options_; }
  int64_t num_images() const { return num_images_; }

 private:
  explicit SplitScores(const SplitScoresOptions& options) : options_(options) {}

  SplitScoresOptions options_;
  int64_t num_images_ = 0;
  std::optional<BoxAccuracy> v2_, v1_;
  std::optional<Pxap> pxap_;
  std::optional<MeanPxap> mean_pxap_;
};

}  // namespace wsol::metrics

#endif  // WSOL_METRICS_SPLIT_SCORES_H_
