// split_evaluator.h
//
// SplitEvaluator scores the CAMs of one evaluation split, image by image, with every
// metric its annotations allow (metrics/split_scores.h): it knows each image's ground
// truth (boxes rescaled to the evaluation size, masks read and resized, one mask per
// label for multi-label data) and takes the score maps from whoever made them. The
// trainer gives it the maps of its model; //tools:evaluate (EvaluateFolder) gives it
// maps read from .npy files. Accumulators filled on other threads merge.
//
//   absl::StatusOr<SplitEvaluator> evaluator = SplitEvaluator::Create(
//       split.images, {.boxes = true, .mask_root = root, .eval_size = 224});
//   for (int64_t i = 0; i < n; ++i) {
//     WSOL_RETURN_IF_ERROR(evaluator->Add(i, maps_of_image_i, predicted_right));
//   }
//   WSOL_ASSIGN_OR_RETURN(metrics::SplitScoresResult result, evaluator->Compute());
#ifndef WSOL_EVALUATION_SPLIT_EVALUATOR_H_
#define WSOL_EVALUATION_SPLIT_EVALUATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "opencv2/core.hpp"
#include "wsol/metadata/metadata.h"
#include "wsol/metrics/split_scores.h"

namespace wsol::evaluation {

struct SplitEvaluatorOptions {
  // What the records hold: boxes, masks (mask paths relative to mask_root), or both.
  bool boxes = false;
  bool masks = false;
  std::string mask_root;
  // Score maps are eval_size x eval_size; boxes and masks are brought to that size.
  int eval_size = 224;
  double cam_curve_interval = 0.001;
  std::vector<int> iou_thresholds = {30, 50, 70};
  bool multi_contour = true;
  double sigma = 0.15;
  // Also MaxBoxAcc with Top-1 / GT-known Loc at sigma.
  bool max_box_acc = false;
  // One map and one mask per label, mPxAP over num_classes classes.
  bool multi_label = false;
  int num_classes = 0;
};

class SplitEvaluator {
 public:
  // `images` must outlive the evaluator. InvalidArgument for inconsistent options.
  static absl::StatusOr<SplitEvaluator> Create(const metadata::SplitMetadata& images,
                                               const SplitEvaluatorOptions& options);

  // How many score maps image `index` takes: one per label with multi_label (the CAM of
  // each label, in label order), else one (the CAM of its class).
  size_t MapsOf(int64_t index) const;

  // Image `index`'s ground truth in score-map pixels.
  absl::StatusOr<metrics::ImageTruth> Truth(int64_t index) const;

  // Scores image `index` with its maps; errors name the image. Nothing is counted on error.
  absl::Status Add(int64_t index, absl::Span<const cv::Mat> maps, bool class_correct = true);

  absl::Status Merge(const SplitEvaluator& other);
  // The counts as one flat list and back (metrics::SplitScores::Counts / MergeCounts):
  // what data-parallel processes sum to score a split together.
  std::vector<int64_t> Counts() const { return scores_.Counts(); }
  absl::Status MergeCounts(absl::Span<const int64_t> counts) { return scores_.MergeCounts(counts); }
  absl::StatusOr<metrics::SplitScoresResult> Compute() const;
  int64_t num_images() const { return scores_.num_images(); }
  const SplitEvaluatorOptions& options() const { return options_; }

  // The file name a score map is saved under: <image_id>.npy, or <image_id>_<label>.npy
  // for multi-label data.
  static std::string ScoremapName(const std::string& image_id, bool multi_label, int label);

 private:
  SplitEvaluator(const metadata::SplitMetadata& images, const SplitEvaluatorOptions& options,
                 metrics::SplitScores scores)
      : images_(&images), options_(options), scores_(std::move(scores)) {}

  const metadata::SplitMetadata* images_;
  SplitEvaluatorOptions options_;
  metrics::SplitScores scores_;
};

}  // namespace wsol::evaluation

#endif  // WSOL_EVALUATION_SPLIT_EVALUATOR_H_
