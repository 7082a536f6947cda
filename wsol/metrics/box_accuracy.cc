#include "wsol/metrics/box_accuracy.h"

#include <array>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "wsol/metrics/iou.h"
#include "wsol/metrics/scoremap.h"
#include "wsol/metrics/scoremap_boxes.h"

namespace wsol::metrics {
namespace {

bool SameOptions(const BoxAccuracyOptions& a, const BoxAccuracyOptions& b) {
  return a.cam_curve_interval == b.cam_curve_interval && a.iou_thresholds == b.iou_thresholds &&
         a.multi_contour == b.multi_contour && a.sigma == b.sigma &&
         a.loc_iou_threshold == b.loc_iou_threshold;
}

// Accuracy in percent as wsolevaluation computes it: count * 100. / float(cnt).
double Percent(int64_t count, int64_t total) {
  return static_cast<double>(count) * 100.0 / static_cast<double>(total);
}

// Whether `iou` reaches `threshold` percent (wsolevaluation: iou >= threshold / 100).
bool Reaches(double iou, int threshold) { return iou >= threshold / 100.0; }

}  // namespace

absl::StatusOr<BoxAccuracy> BoxAccuracy::Create(const BoxAccuracyOptions& options) {
  absl::StatusOr<std::vector<double>> thresholds = CamThresholds(options.cam_curve_interval);
  if (!thresholds.ok()) return thresholds.status();
  if (options.iou_thresholds.empty()) {
    return absl::InvalidArgumentError("iou_thresholds is empty: expected IoUs in percent");
  }
  for (const int u : options.iou_thresholds) {
    if (u < 0 || u > 100) {
      return absl::InvalidArgumentError(absl::StrCat("iou_thresholds = [",
                                                     absl::StrJoin(options.iou_thresholds, ", "),
                                                     "]: expected values in [0, 100]"));
    }
  }
  if (!(options.sigma >= 0 && options.sigma < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sigma = ", options.sigma, ": expected a CAM threshold in [0, 1)"));
  }
  if (options.loc_iou_threshold < 0 || options.loc_iou_threshold > 100) {
    return absl::InvalidArgumentError(absl::StrCat(
        "loc_iou_threshold = ", options.loc_iou_threshold, ": expected a value in [0, 100]"));
  }
  return BoxAccuracy(options, *std::move(thresholds));
}

BoxAccuracy::BoxAccuracy(const BoxAccuracyOptions& options, std::vector<double> cam_thresholds)
    : options_(options),
      cam_thresholds_(std::move(cam_thresholds)),
      num_correct_(options.iou_thresholds.size(), std::vector<int64_t>(cam_thresholds_.size(), 0)),
      loc_correct_(cam_thresholds_.size(), 0),
      top1_correct_(cam_thresholds_.size(), 0) {}

absl::Status BoxAccuracy::Add(const cv::Mat& scoremap, absl::Span<const Box> gt_boxes,
                              bool class_correct) {
  if (absl::Status s = CheckScoremap(scoremap); !s.ok()) return s;
  if (gt_boxes.empty()) return absl::InvalidArgumentError("no ground-truth box");

  const cv::Mat quantized = QuantizeScoremap(scoremap);
  const int max_q = MaxQuantized(quantized);
  // The level of every CAM threshold, then the best IoU of each level used.
  std::vector<int> levels(cam_thresholds_.size());
  for (size_t i = 0; i < levels.size(); ++i) {
    levels[i] = ThresholdLevel(cam_thresholds_[i], max_q);
  }
  const int sigma_level = ThresholdLevel(options_.sigma, max_q);
  std::array<bool, LevelBoxes::kNumLevels> used{};
  for (const int level : levels) used[level] = true;
  used[sigma_level] = true;

  std::array<double, LevelBoxes::kNumLevels> best_iou{};
  if (options_.multi_contour) {
    VisitAllContourBoxes(quantized, [&](int level, absl::Span<const Box> boxes) {
      if (used[level]) best_iou[level] = MaxIou(boxes, gt_boxes);
    });
  } else {
    std::vector<int> wanted;
    for (int level = 0; level < LevelBoxes::kNumLevels; ++level) {
      if (used[level]) wanted.push_back(level);
    }
    const LevelBoxes boxes = FindContourBoxes(quantized, ContourMode::kLargest, wanted);
    for (const int level : wanted) best_iou[level] = MaxIou(boxes.boxes(level), gt_boxes);
  }

  for (size_t i = 0; i < levels.size(); ++i) {
    const double iou = best_iou[levels[i]];
    for (size_t u = 0; u < options_.iou_thresholds.size(); ++u) {
      if (Reaches(iou, options_.iou_thresholds[u])) ++num_correct_[u][i];
    }
    if (Reaches(iou, options_.loc_iou_threshold)) {
      ++loc_correct_[i];
      if (class_correct) ++top1_correct_[i];
    }
  }
  if (Reaches(best_iou[sigma_level], options_.loc_iou_threshold)) {
    ++loc_correct_at_sigma_;
    if (class_correct) ++top1_correct_at_sigma_;
  }
  ++num_images_;
  return absl::OkStatus();
}

absl::Status BoxAccuracy::Merge(const BoxAccuracy& other) {
  if (!SameOptions(options_, other.options_)) {
    return absl::InvalidArgumentError(
        "cannot merge box accuracies computed with different options");
  }
  num_images_ += other.num_images_;
  for (size_t u = 0; u < num_correct_.size(); ++u) {
    for (size_t i = 0; i < cam_thresholds_.size(); ++i) {
      num_correct_[u][i] += other.num_correct_[u][i];
    }
  }
  for (size_t i = 0; i < cam_thresholds_.size(); ++i) {
    loc_correct_[i] += other.loc_correct_[i];
    top1_correct_[i] += other.top1_correct_[i];
  }
  loc_correct_at_sigma_ += other.loc_correct_at_sigma_;
  top1_correct_at_sigma_ += other.top1_correct_at_sigma_;
  return absl::OkStatus();
}

void BoxAccuracy::AppendCounts(std::vector<int64_t>* counts) const {
  counts->push_back(num_images_);
  for (const std::vector<int64_t>& row : num_correct_) {
    counts->insert(counts->end(), row.begin(), row.end());
  }
  counts->insert(counts->end(), loc_correct_.begin(), loc_correct_.end());
  counts->insert(counts->end(), top1_correct_.begin(), top1_correct_.end());
  counts->push_back(loc_correct_at_sigma_);
  counts->push_back(top1_correct_at_sigma_);
}

absl::Status BoxAccuracy::AddCounts(absl::Span<const int64_t> counts, size_t* offset) {
  const size_t t = cam_thresholds_.size();
  const size_t needed = 3 + (num_correct_.size() + 2) * t;
  if (*offset + needed > counts.size()) {
    return absl::OutOfRangeError(absl::StrCat("box accuracy counts: ", counts.size() - *offset,
                                              " values left, ", needed, " expected"));
  }
  const int64_t* p = counts.data() + *offset;
  num_images_ += *p++;
  for (std::vector<int64_t>& row : num_correct_) {
    for (int64_t& c : row) c += *p++;
  }
  for (int64_t& c : loc_correct_) c += *p++;
  for (int64_t& c : top1_correct_) c += *p++;
  loc_correct_at_sigma_ += *p++;
  top1_correct_at_sigma_ += *p++;
  *offset += needed;
  return absl::OkStatus();
}

absl::StatusOr<BoxAccuracyResult> BoxAccuracy::Compute() const {
  if (num_images_ == 0) {
    return absl::FailedPreconditionError("box accuracy: no image was added");
  }
  BoxAccuracyResult r;
  r.num_images = num_images_;
  r.cam_thresholds = cam_thresholds_;
  r.iou_thresholds = options_.iou_thresholds;
  r.num_correct = num_correct_;
  // The best accuracy is the best count; the first threshold with it, as numpy.argmax.
  const auto first_best = [](const std::vector<int64_t>& counts) {
    size_t best = 0;
    for (size_t i = 1; i < counts.size(); ++i) {
      if (counts[i] > counts[best]) best = i;
    }
    return best;
  };
  double sum = 0;
  for (const std::vector<int64_t>& counts : num_correct_) {
    const size_t best = first_best(counts);
    r.max_box_acc.push_back(Percent(counts[best], num_images_));
    r.best_cam_threshold.push_back(cam_thresholds_[best]);
    sum += r.max_box_acc.back();
  }
  // numpy.average of a short list: a left-to-right sum over the count.
  r.max_box_acc_mean = sum / static_cast<double>(r.max_box_acc.size());

  r.sigma = options_.sigma;
  r.gt_known_loc_at_sigma = Percent(loc_correct_at_sigma_, num_images_);
  r.top1_loc_at_sigma = Percent(top1_correct_at_sigma_, num_images_);
  const size_t best_loc = first_best(loc_correct_);
  r.best_loc_cam_threshold = cam_thresholds_[best_loc];
  r.gt_known_loc_at_best = Percent(loc_correct_[best_loc], num_images_);
  r.top1_loc_at_best = Percent(top1_correct_[best_loc], num_images_);
  return r;
}

}  // namespace wsol::metrics
