#include "wsol/evaluation/model_scorer.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "opencv2/core.hpp"
#include "wsol/metrics/npy.h"
#include "wsol/util/status_macros.h"

namespace wsol::evaluation {
namespace {

// A CPU map wrapped for the metrics (CV_32F or CV_64F, no copy).
cv::Mat MapView(const at::Tensor& map) {
  const int rows = static_cast<int>(map.size(0)), cols = static_cast<int>(map.size(1));
  if (map.scalar_type() == at::kDouble) return cv::Mat(rows, cols, CV_64F, map.data_ptr<double>());
  return cv::Mat(rows, cols, CV_32F, map.data_ptr<float>());
}

// The metrics' localization fields from SplitEvaluator's result.
void SetLocalization(const metrics::SplitScoresResult& r, proto::SplitMetrics* m) {
  if (r.max_box_acc_v2) {
    const metrics::BoxAccuracyResult& r2 = *r.max_box_acc_v2;
    for (size_t i = 0; i < r2.iou_thresholds.size(); ++i) {
      m->add_iou_thresholds(r2.iou_thresholds[i]);
      m->add_max_box_acc_v2_per_iou(r2.max_box_acc[i]);
    }
    m->set_max_box_acc_v2(r2.max_box_acc_mean);
  }
  if (r.max_box_acc) {
    const metrics::BoxAccuracyResult& r1 = *r.max_box_acc;
    m->set_max_box_acc(r1.max_box_acc[0]);
    m->set_gt_known_loc(r1.gt_known_loc_at_sigma);
    m->set_top1_loc(r1.top1_loc_at_sigma);
    m->set_gt_known_loc_best(r1.gt_known_loc_at_best);
    m->set_top1_loc_best(r1.top1_loc_at_best);
    m->set_best_threshold(r1.best_loc_cam_threshold);
  }
  if (r.pxap) m->set_pxap(r.pxap->pxap);
  if (r.mean_pxap) m->set_mpxap(r.mean_pxap->mean_pxap);
}

}  // namespace

ModelScorer::ModelScorer(const ModelScorerOptions& options, std::optional<SplitEvaluator> evaluator)
    : options_(options),
      evaluator_(std::move(evaluator)),
      per_label_maps_(options.evaluator.multi_label && options.has_masks),
      entropy_(options.total, 0.0),
      off_target_(options.total, 0.0) {}

absl::StatusOr<ModelScorer> ModelScorer::Create(const ModelScorerOptions& options) {
  std::optional<SplitEvaluator> evaluator;
  if (options.has_boxes || options.has_masks) {
    WSOL_ASSIGN_OR_RETURN(SplitEvaluator created,
                          SplitEvaluator::Create(*options.images, options.evaluator));
    evaluator.emplace(std::move(created));
  }
  return ModelScorer(options, std::move(evaluator));
}

absl::Status ModelScorer::Add(const std::vector<ScoredImage>& images, const at::Tensor& log_p) {
  const at::Tensor p = log_p.exp();
  const at::Tensor image_entropy = (-(p * log_p).sum(1)).to(at::kDouble).contiguous();
  // Read through accessors: a tensor index and item() per image cost a dispatch each.
  const at::Tensor p_cpu = p.to(at::kDouble).contiguous();
  const auto p_of = p_cpu.accessor<double, 2>();
  const auto entropy_of = image_entropy.accessor<double, 1>();
  const at::Tensor predicted_cpu = log_p.argmax(1).to(at::kLong).contiguous();
  const int64_t* predicted_class = predicted_cpu.data_ptr<int64_t>();
  for (size_t i = 0; i < images.size(); ++i) {
    const ScoredImage& image = images[i];
    if (image.position < 0 || image.position >= options_.total) {
      return absl::InternalError(absl::StrCat("image ", image.index, " at position ",
                                              image.position, " of a split of ", options_.total,
                                              " images: expected a position in [0, total)"));
    }
    const std::vector<int>& labels = *image.labels;
    entropy_[image.position] = entropy_of[i];
    double on_target = 0;
    for (int label : labels) on_target += p_of[i][label];
    off_target_[image.position] = 1.0 - on_target;
    const bool right = options_.multi_label
                           ? std::count(labels.begin(), labels.end(), predicted_class[i]) > 0
                           : predicted_class[i] == labels.front();
    correct_ += right;
    std::vector<cv::Mat> views;
    for (const at::Tensor& map : image.maps) views.push_back(MapView(map));
    if (!options_.scoremap_dir.empty()) {
      const std::string& id = options_.images->images[image.index].image_id;
      for (size_t k = 0; k < views.size(); ++k) {
        WSOL_RETURN_IF_ERROR(
            metrics::WriteNpy((std::filesystem::path(options_.scoremap_dir) /
                               SplitEvaluator::ScoremapName(id, per_label_maps_, labels[k]))
                                  .string(),
                              views[k]));
      }
    }
    if (evaluator_) WSOL_RETURN_IF_ERROR(evaluator_->Add(image.index, views, right));
  }
  images_ += static_cast<int64_t>(images.size());
  return absl::OkStatus();
}

absl::Status ModelScorer::Reduce(const AllReduceSum& all_reduce_sum) {
  const int64_t total = options_.total;
  std::vector<at::Tensor> sums = {at::tensor({images_, correct_}, at::kLong),
                                  at::from_blob(entropy_.data(), {total}, at::kDouble).clone(),
                                  at::from_blob(off_target_.data(), {total}, at::kDouble).clone()};
  if (evaluator_) sums.push_back(at::tensor(evaluator_->Counts(), at::kLong));
  WSOL_RETURN_IF_ERROR(all_reduce_sum(sums));
  images_ = sums[0][0].item<int64_t>();
  correct_ = sums[0][1].item<int64_t>();
  std::copy_n(sums[1].data_ptr<double>(), total, entropy_.begin());
  std::copy_n(sums[2].data_ptr<double>(), total, off_target_.begin());
  if (evaluator_) {
    WSOL_ASSIGN_OR_RETURN(SplitEvaluator merged,
                          SplitEvaluator::Create(*options_.images, options_.evaluator));
    const at::Tensor& counts = sums[3];
    WSOL_RETURN_IF_ERROR(
        merged.MergeCounts(absl::MakeConstSpan(counts.data_ptr<int64_t>(), counts.numel())));
    evaluator_.emplace(std::move(merged));
  }
  return absl::OkStatus();
}

absl::StatusOr<proto::SplitMetrics> ModelScorer::Finish(const std::string& label) const {
  if (images_ == 0) return absl::FailedPreconditionError(absl::StrCat(label, ": no images"));
  double entropy_sum = 0, off_target_sum = 0;
  for (double e : entropy_) entropy_sum += e;
  for (double m : off_target_) off_target_sum += m;
  proto::SplitMetrics m;
  m.set_images(static_cast<int32_t>(images_));
  m.set_top1_cls(100.0 * correct_ / images_);
  m.set_mean_entropy(entropy_sum / images_);
  m.set_mean_off_target_mass(off_target_sum / images_);
  m.set_has_boxes(options_.has_boxes);
  m.set_has_masks(options_.has_masks);
  if (!evaluator_) return m;
  WSOL_ASSIGN_OR_RETURN(metrics::SplitScoresResult r, evaluator_->Compute());
  SetLocalization(r, &m);
  return m;
}

double LocalizationScore(const proto::SplitMetrics& m) {
  if (m.has_boxes()) return m.max_box_acc_v2();
  return m.has_mpxap() ? m.mpxap() : m.pxap();
}

}  // namespace wsol::evaluation
