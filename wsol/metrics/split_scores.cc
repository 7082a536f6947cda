#include "wsol/metrics/split_scores.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "opencv2/core.hpp"
#include "wsol/metrics/scoremap.h"
#include "wsol/util/status_macros.h"

namespace wsol::metrics {
namespace {

// OK when `mask` is a CV_8UC1 map of `size` holding only background, foreground and
// ignore values.
absl::Status CheckMask(const cv::Mat& mask, cv::Size size, size_t index) {
  if (mask.type() != CV_8UC1 || mask.size() != size) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "mask %d: expected a uint8 %dx%d mask like the score map, got type %d of %dx%d", index,
        size.width, size.height, mask.type(), mask.cols, mask.rows));
  }
  for (int r = 0; r < mask.rows; ++r) {
    const uint8_t* row = mask.ptr<uint8_t>(r);
    for (int c = 0; c < mask.cols; ++c) {
      if (row[c] != kMaskBackground && row[c] != kMaskForeground && row[c] != kMaskIgnore) {
        return absl::InvalidArgumentError(
            absl::StrFormat("mask %d: value %d at (%d, %d); expected %d, %d or %d", index, row[c],
                            c, r, kMaskBackground, kMaskForeground, kMaskIgnore));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SplitScores> SplitScores::Create(const SplitScoresOptions& options) {
  if (!options.boxes && !options.masks) {
    return absl::InvalidArgumentError("SplitScores: neither boxes nor masks to score");
  }
  if (options.multi_label && options.masks && options.num_classes <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("SplitScores: num_classes = ", options.num_classes, ": mPxAP needs it > 0"));
  }
  SplitScores scores(options);
  if (options.boxes) {
    absl::StatusOr<BoxAccuracy> v2 =
        BoxAccuracy::Create({.cam_curve_interval = options.cam_curve_interval,
                             .iou_thresholds = options.iou_thresholds,
                             .multi_contour = options.multi_contour,
                             .sigma = options.sigma});
    if (!v2.ok()) return v2.status();
    scores.v2_.emplace(*std::move(v2));
    if (options.max_box_acc) {
      absl::StatusOr<BoxAccuracy> v1 =
          BoxAccuracy::Create({.cam_curve_interval = options.cam_curve_interval,
                               .iou_thresholds = {50},
                               .multi_contour = false,
                               .sigma = options.sigma});
      if (!v1.ok()) return v1.status();
      scores.v1_.emplace(*std::move(v1));
    }
  }
  if (options.masks) {
    absl::StatusOr<Pxap> pxap = Pxap::Create({.cam_curve_interval = options.cam_curve_interval});
    if (!pxap.ok()) return pxap.status();
    scores.pxap_.emplace(*std::move(pxap));
    if (options.multi_label) {
      absl::StatusOr<MeanPxap> mean =
          MeanPxap::Create(options.num_classes, {.cam_curve_interval = options.cam_curve_interval});
      if (!mean.ok()) return mean.status();
      scores.mean_pxap_.emplace(*std::move(mean));
    }
  }
  return scores;
}

absl::Status SplitScores::Add(const ImageTruth& truth, absl::Span<const cv::Mat> maps,
                              bool class_correct) {
  // Everything is checked before anything is counted.
  const size_t want_maps = options_.multi_label ? truth.labels.size() : 1;
  if (options_.multi_label && truth.labels.empty()) {
    return absl::InvalidArgumentError("multi-label image without labels");
  }
  if (maps.size() != want_maps) {
    return absl::InvalidArgumentError(absl::StrCat(
        maps.size(), " score map(s) for an image with ", truth.labels.size(),
        " label(s); expected ", want_maps, options_.multi_label ? " (one per label)" : ""));
  }
  for (size_t k = 0; k < maps.size(); ++k) {
    if (absl::Status s = CheckScoremap(maps[k], absl::StrCat("score map ", k)); !s.ok()) return s;
    if (maps[k].size() != maps[0].size()) {
      return absl::InvalidArgumentError("the score maps of one image differ in size");
    }
  }
  if (options_.boxes && truth.boxes.empty()) {
    return absl::InvalidArgumentError("no ground-truth box");
  }
  if (options_.masks) {
    const size_t want_masks = options_.multi_label ? truth.labels.size() : 1;
    if (truth.masks.size() != want_masks) {
      return absl::InvalidArgumentError(absl::StrCat(
          truth.masks.size(), " mask(s) for an image with ", truth.labels.size(),
          " label(s); expected ", want_masks,
          options_.multi_label ? " (one per label, in label order)" : " (their union)"));
    }
    for (size_t k = 0; k < truth.masks.size(); ++k) {
      if (absl::Status s = CheckMask(truth.masks[k], maps[0].size(), k); !s.ok()) return s;
    }
    if (options_.multi_label) {
      for (int label : truth.labels) {
        if (label < 0 || label >= options_.num_classes) {
          return absl::InvalidArgumentError(
              absl::StrCat("label ", label, ": expected [0, ", options_.num_classes, ")"));
        }
      }
    }
  }

  if (v2_) {
    if (absl::Status s = v2_->Add(maps[0], truth.boxes, class_correct); !s.ok()) return s;
  }
  if (v1_) {
    if (absl::Status s = v1_->Add(maps[0], truth.boxes, class_correct); !s.ok()) return s;
  }
  if (pxap_) {
    for (size_t k = 0; k < truth.masks.size(); ++k) {
      if (absl::Status s = pxap_->Add(maps[k], truth.masks[k]); !s.ok()) return s;
      if (mean_pxap_) {
        if (absl::Status s = mean_pxap_->Add(truth.labels[k], maps[k], truth.masks[k]); !s.ok()) {
          return s;
        }
      }
    }
  }
  ++num_images_;
  return absl::OkStatus();
}

std::vector<int64_t> SplitScores::Counts() const {
  std::vector<int64_t> counts = {num_images_};
  if (v2_) v2_->AppendCounts(&counts);
  if (v1_) v1_->AppendCounts(&counts);
  if (pxap_) pxap_->AppendCounts(&counts);
  if (mean_pxap_) mean_pxap_->AppendCounts(&counts);
  return counts;
}

absl::Status SplitScores::MergeCounts(absl::Span<const int64_t> counts) {
  const size_t expected = Counts().size();
  if (counts.size() != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("split score counts: ", counts.size(), " values, ", expected, " expected"));
  }
  size_t offset = 1;
  if (v2_) WSOL_RETURN_IF_ERROR(v2_->AddCounts(counts, &offset));
  if (v1_) WSOL_RETURN_IF_ERROR(v1_->AddCounts(counts, &offset));
  if (pxap_) WSOL_RETURN_IF_ERROR(pxap_->AddCounts(counts, &offset));
  if (mean_pxap_) WSOL_RETURN_IF_ERROR(mean_pxap_->AddCounts(counts, &offset));
  num_images_ += counts[0];
  return absl::OkStatus();
}

absl::Status SplitScores::Merge(const SplitScores& other) {
  if (v2_.has_value() != other.v2_.has_value() || v1_.has_value() != other.v1_.has_value() ||
      pxap_.has_value() != other.pxap_.has_value() ||
      mean_pxap_.has_value() != other.mean_pxap_.has_value()) {
    return absl::InvalidArgumentError("cannot merge SplitScores with different options");
  }
  if (v2_) {
    if (absl::Status s = v2_->Merge(*other.v2_); !s.ok()) return s;
  }
  if (v1_) {
    if (absl::Status s = v1_->Merge(*other.v1_); !s.ok()) return s;
  }
  if (pxap_) {
    if (absl::Status s = pxap_->Merge(*other.pxap_); !s.ok()) return s;
  }
  if (mean_pxap_) {
    if (absl::Status s = mean_pxap_->Merge(*other.mean_pxap_); !s.ok()) return s;
  }
  num_images_ += other.num_images_;
  return absl::OkStatus();
}

absl::StatusOr<SplitScoresResult> SplitScores::Compute() const {
  SplitScoresResult result;
  result.num_images = num_images_;
  if (v2_) {
    absl::StatusOr<BoxAccuracyResult> r = v2_->Compute();
    if (!r.ok()) return r.status();
    result.max_box_acc_v2 = *std::move(r);
  }
  if (v1_) {
    absl::StatusOr<BoxAccuracyResult> r = v1_->Compute();
    if (!r.ok()) return r.status();
    result.max_box_acc = *std::move(r);
  }
  if (pxap_) {
    absl::StatusOr<PxapResult> r = pxap_->Compute();
    if (!r.ok()) return r.status();
    result.pxap = *std::move(r);
  }
  if (mean_pxap_) {
    absl::StatusOr<MeanPxapResult> r = mean_pxap_->Compute();
    if (!r.ok()) return r.status();
    result.mean_pxap = *std::move(r);
  }
  return result;
}

}  // namespace wsol::metrics
