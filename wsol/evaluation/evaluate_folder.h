// evaluate_folder.h
//
// Scores a folder of saved score maps against wsolevaluation-format metadata, the
// library behind //tools:evaluate. Boxes or masks are picked from localization.txt:
// boxes give MaxBoxAcc / MaxBoxAccV2 per IoU threshold with the best CAM thresholds and
// GT-known Loc; masks give PxAP. Score maps are <scoremaps>/<image_id>.npy (float32 or
// float64, eval_size x eval_size, values in [0, 1]), what wsolevaluation's inference
// writes. Multi-label mask data (multi_label, e.g. PASCAL VOC) has one map per label,
// <scoremaps>/<image_id>_<label>.npy, scored against that label's own mask (the i-th mask
// line of an image is its i-th label's), and gives mPxAP beside the pooled PxAP
// (split_scores.h). Images are spread over threads, each with its own accumulator, merged at the
// end; the numbers do not depend on the thread count. Any bad input (a missing or
// malformed map, metadata or mask) fails the whole evaluation with a message naming the
// image and file; the error reported is that of the first bad image in metadata order.
//
//   absl::StatusOr<EvaluationReport> report = EvaluateFolder(
//       {.metadata = "metadata/CUB/test", .scoremaps = "run/scoremaps"});
//   if (report.ok()) std::cout << FormatReport(*report);
#ifndef WSOL_EVALUATION_EVALUATE_FOLDER_H_
#define WSOL_EVALUATION_EVALUATE_FOLDER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "wsol/metadata/metadata.h"
#include "wsol/metrics/box_accuracy.h"
#include "wsol/metrics/pxap.h"
#include "wsol/metrics/split_scores.h"

namespace wsol::evaluation {

struct EvaluateFolderOptions {
  std::string metadata;   // Split folder: image_ids.txt, class_labels.txt, ...
  std::string scoremaps;  // Folder of <image_id>.npy.
  std::string mask_root;  // Mask paths in localization.txt are relative to it.
  double cam_curve_interval = 0.01;
  bool multi_contour = true;
  std::vector<int> iou_thresholds = {30, 50, 70};
  double sigma = 0.15;  // CAM threshold of GT-known Loc.
  // One map and one mask per label, and mPxAP over num_classes (0: one more than the
  // largest label in the metadata).
  bool multi_label = false;
  int num_classes = 0;
  int eval_size = 224;  // Score maps are eval_size x eval_size; boxes are rescaled to it.
  int threads = 0;      // 0: one per hardware thread.
  // Called after each image with (images done, total), from worker threads but never
  // concurrently.
  std::function<void(int64_t, int64_t)> progress;
};

struct EvaluationReport {
  EvaluateFolderOptions options;  // As used (threads resolved, no progress callback).
  std::optional<metrics::BoxAccuracyResult> boxes;   // Box metadata.
  std::optional<metrics::PxapResult> masks;          // Mask metadata.
  std::optional<metrics::MeanPxapResult> mean_pxap;  // Multi-label mask metadata.
};

absl::StatusOr<EvaluationReport> EvaluateFolder(const EvaluateFolderOptions& options);

// The headline metric's name: "MaxBoxAccV2", "MaxBoxAcc", "PxAP" or "mPxAP".
std::string MetricName(const EvaluationReport& report);

// FormatReport renders the report as a Markdown table (percentages to 4 decimals).
std::string FormatReport(const EvaluationReport& report);

// ReportToJson renders the report as a JSON object with full-precision numbers.
std::string ReportToJson(const EvaluationReport& report);

}  // namespace wsol::evaluation

#endif  // WSOL_EVALUATION_EVALUATE_FOLDER_H_
