#include "wsol/evaluation/split_evaluator.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "wsol/metrics/box.h"
#include "wsol/metrics/iou.h"
#include "wsol/metrics/pxap.h"
#include "wsol/util/status_macros.h"

namespace wsol::evaluation {

absl::StatusOr<SplitEvaluator> SplitEvaluator::Create(const metadata::SplitMetadata& images,
                                                      const SplitEvaluatorOptions& options) {
  if (options.eval_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("eval_size = ", options.eval_size, ": expected > 0"));
  }
  WSOL_ASSIGN_OR_RETURN(
      metrics::SplitScores scores,
      metrics::SplitScores::Create({.cam_curve_interval = options.cam_curve_interval,
                                    .iou_thresholds = options.iou_thresholds,
                                    .multi_contour = options.multi_contour,
                                    .sigma = options.sigma,
                                    .boxes = options.boxes,
                                    .masks = options.masks,
                                    .max_box_acc = options.max_box_acc,
                                    .multi_label = options.multi_label && options.masks,
                                    .num_classes = options.num_classes}));
  return SplitEvaluator(images, options, std::move(scores));
}

size_t SplitEvaluator::MapsOf(int64_t index) const {
  const bool per_label = options_.multi_label && options_.masks;
  return per_label ? images_->images[index].labels.size() : 1;
}

std::string SplitEvaluator::ScoremapName(const std::string& image_id, bool multi_label, int label) {
  return multi_label ? absl::StrCat(image_id, "_", label, ".npy") : image_id + ".npy";
}

absl::StatusOr<metrics::ImageTruth> SplitEvaluator::Truth(int64_t index) const {
  const metadata::ImageRecord& record = images_->images[index];
  const int size = options_.eval_size;
  metrics::ImageTruth truth;
  truth.labels = record.labels;
  if (options_.boxes) {
    for (const metrics::Box& b : record.boxes) {
      truth.boxes.push_back(metrics::RescaleBox(b, {record.width, record.height}, {size, size}));
    }
  }
  if (options_.masks) {
    const bool per_label = options_.multi_label;
    if (per_label && record.mask_paths.size() != record.labels.size()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "image %s has %d labels but %d masks; multi-label data needs one mask per label, "
          "in label order",
          record.image_id, record.labels.size(), record.mask_paths.size()));
    }
    for (size_t k = 0; k < (per_label ? record.labels.size() : 1); ++k) {
      const std::vector<std::string> paths =
          per_label ? std::vector<std::string>{record.mask_paths[k]} : record.mask_paths;
      absl::StatusOr<cv::Mat> mask =
          metrics::LoadGtMask(options_.mask_root, paths, record.ignore_path, {size, size});
      if (!mask.ok()) {
        return absl::Status(mask.status().code(), absl::StrCat("masks of image ", record.image_id,
                                                               ": ", mask.status().message()));
      }
      truth.masks.push_back(*std::move(mask));
    }
  }
  return truth;
}

absl::Status SplitEvaluator::Add(int64_t index, absl::Span<const cv::Mat> maps,
                                 bool class_correct) {
  WSOL_ASSIGN_OR_RETURN(metrics::ImageTruth truth, Truth(index));
  absl::Status added = scores_.Add(truth, maps, class_correct);
  if (!added.ok()) {
    return absl::Status(added.code(), absl::StrCat("image ", images_->images[index].image_id, ": ",
                                                   added.message()));
  }
  return absl::OkStatus();
}

absl::Status SplitEvaluator::Merge(const SplitEvaluator& other) {
  return scores_.Merge(other.scores_);
}

absl::StatusOr<metrics::SplitScoresResult> SplitEvaluator::Compute() const {
  return scores_.Compute();
}

}  // namespace wsol::evaluation
