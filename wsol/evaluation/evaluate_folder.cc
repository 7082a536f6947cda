#include "wsol/evaluation/evaluate_folder.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "wsol/evaluation/split_evaluator.h"
#include "wsol/metrics/iou.h"
#include "wsol/metrics/npy.h"
#include "wsol/metrics/scoremap.h"
#include "wsol/util/parallel_for.h"
#include "wsol/util/status_macros.h"

namespace wsol::evaluation {

using metrics::BoxAccuracyResult;
using metrics::CheckScoremap;
using metrics::MeanPxapResult;
using metrics::PxapResult;
using metrics::ReadNpy;
using metrics::SplitScoresResult;

namespace {

using metadata::ImageRecord;
using metadata::LocalizationKind;

// An error about one image, prefixed with what names it (the score map's path).
absl::Status Prefixed(const absl::Status& status, const std::string& prefix) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(prefix, ": ", status.message()));
}

// The maps of image `index` read from the folder, each checked, then scored.
absl::Status ScoreImage(const metadata::SplitMetadata& split, int64_t index,
                        const EvaluateFolderOptions& options, SplitEvaluator& evaluator) {
  const ImageRecord& record = split.images[index];
  std::vector<cv::Mat> maps;
  std::string first_path;
  for (size_t k = 0; k < evaluator.MapsOf(index); ++k) {
    const std::string path =
        (std::filesystem::path(options.scoremaps) /
         SplitEvaluator::ScoremapName(record.image_id, options.multi_label, record.labels[k]))
            .string();
    if (k == 0) first_path = path;
    WSOL_ASSIGN_OR_RETURN(cv::Mat map, ReadNpy(path, options.eval_size, options.eval_size));
    if (map.rows != options.eval_size || map.cols != options.eval_size) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: score map of shape (%d, %d); expected (%d, %d), the evaluation size",
                          path, map.rows, map.cols, options.eval_size, options.eval_size));
    }
    if (absl::Status valid = CheckScoremap(map); !valid.ok()) return Prefixed(valid, path);
    maps.push_back(std::move(map));
  }
  return Prefixed(evaluator.Add(index, maps), first_path);
}

std::string Percent(double value) { return absl::StrFormat("%.4f", value); }
// The shortest decimal that reads back as the same double (Python's repr).
std::string Full(double value) {
  for (int digits = 15; digits < 17; ++digits) {
    const std::string text = absl::StrFormat("%.*g", digits, value);
    if (std::strtod(text.c_str(), nullptr) == value) return text;
  }
  return absl::StrFormat("%.17g", value);
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace

namespace {

// The split's metadata, checked against what scoring it needs.
absl::StatusOr<metadata::SplitMetadata> ReadScorableSplit(const EvaluateFolderOptions& options) {
  if (options.eval_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("eval_size = ", options.eval_size, ": expected > 0"));
  }
  WSOL_ASSIGN_OR_RETURN(metadata::SplitMetadata split,
                        metadata::ReadSplitMetadata(options.metadata));
  const std::string folder = std::filesystem::path(options.metadata).string();
  if (split.images.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(folder, "/image_ids.txt: no images to evaluate"));
  }
  if (split.kind == LocalizationKind::kNone) {
    return absl::InvalidArgumentError(
        absl::StrCat(folder,
                     "/localization.txt: no box lines (id,x0,y0,x1,y1) or mask lines "
                     "(id,mask_path,ignore_path) to evaluate against"));
  }
  if (split.kind == LocalizationKind::kMasks && options.mask_root.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.metadata,
                     ": localization.txt lists masks; give the folder they are in "
                     "(mask_root)"));
  }
  if (!std::filesystem::is_directory(options.scoremaps)) {
    return absl::NotFoundError(absl::StrCat(options.scoremaps, ": no such score-map folder"));
  }
  return split;
}

// The class count to score with: multi-label metadata needs one map per label and masks.
absl::StatusOr<int> ScoredClassCount(const metadata::SplitMetadata& split,
                                     const EvaluateFolderOptions& options) {
  const std::string folder = std::filesystem::path(options.metadata).string();
  int max_label = 0;
  for (const ImageRecord& record : split.images) {
    for (int label : record.labels) max_label = std::max(max_label, label);
    if (record.labels.size() > 1 && !options.multi_label) {
      return absl::InvalidArgumentError(absl::StrCat(
          folder, "/class_labels.txt: image ", record.image_id, " has ", record.labels.size(),
          " labels; score multi-label data with multi_label (one map per label, "
          "<image_id>_<label>.npy)"));
    }
  }
  if (options.multi_label && split.kind != LocalizationKind::kMasks) {
    return absl::InvalidArgumentError(absl::StrCat(
        folder, "/localization.txt: multi-label scoring needs masks (mPxAP), not boxes"));
  }
  return options.num_classes > 0 ? options.num_classes : max_label + 1;
}

}  // namespace

absl::StatusOr<EvaluationReport> EvaluateFolder(const EvaluateFolderOptions& options) {
  WSOL_ASSIGN_OR_RETURN(const metadata::SplitMetadata split, ReadScorableSplit(options));
  WSOL_ASSIGN_OR_RETURN(const int num_classes, ScoredClassCount(split, options));
  EvaluationReport report;
  report.options = options;
  report.options.progress = nullptr;
  const int64_t total = static_cast<int64_t>(split.images.size());
  const int threads = WorkerCount(total, ResolveThreads(options.threads));
  report.options.threads = threads;
  report.options.num_classes = options.multi_label ? num_classes : options.num_classes;

  // Accumulators are created (and their options checked) before any work.
  std::vector<SplitEvaluator> workers;
  for (int t = 0; t < threads; ++t) {
    WSOL_ASSIGN_OR_RETURN(
        SplitEvaluator evaluator,
        SplitEvaluator::Create(split, {.boxes = split.kind == LocalizationKind::kBoxes,
                                       .masks = split.kind == LocalizationKind::kMasks,
                                       .mask_root = options.mask_root,
                                       .eval_size = options.eval_size,
                                       .cam_curve_interval = options.cam_curve_interval,
                                       .iou_thresholds = options.iou_thresholds,
                                       .multi_contour = options.multi_contour,
                                       .sigma = options.sigma,
                                       .multi_label = options.multi_label,
                                       .num_classes = num_classes}));
    workers.push_back(std::move(evaluator));
  }

  // Each worker scores into its own accumulator; the first failing image in metadata
  // order is reported whatever the scheduling (ParallelForWorkers).
  std::mutex progress_mu;
  int64_t done = 0;
  WSOL_RETURN_IF_ERROR(ParallelForWorkers(total, threads, [&](int worker, int64_t i) {
    WSOL_RETURN_IF_ERROR(ScoreImage(split, i, options, workers[worker]));
    if (options.progress) {
      std::lock_guard<std::mutex> lock(progress_mu);
      options.progress(++done, total);
    }
    return absl::OkStatus();
  }));

  for (int t = 1; t < threads; ++t) WSOL_RETURN_IF_ERROR(workers[0].Merge(workers[t]));
  WSOL_ASSIGN_OR_RETURN(SplitScoresResult result, workers[0].Compute());
  if (result.max_box_acc_v2) report.boxes = *std::move(result.max_box_acc_v2);
  if (result.pxap) report.masks = *std::move(result.pxap);
  if (result.mean_pxap) report.mean_pxap = *std::move(result.mean_pxap);
  return report;
}

std::string MetricName(const EvaluationReport& report) {
  if (report.mean_pxap) return "mPxAP";
  if (report.masks) return "PxAP";
  return report.options.multi_contour ? "MaxBoxAccV2" : "MaxBoxAcc";
}

std::string FormatReport(const EvaluationReport& report) {
  const EvaluateFolderOptions& o = report.options;
  std::string out = "| Metric | Value (%) |\n|---|---|\n";
  int64_t images = 0;
  if (report.masks) {
    images = report.masks->num_images;
    if (report.mean_pxap) {
      const MeanPxapResult& m = *report.mean_pxap;
      absl::StrAppend(&out, "| mPxAP (mean over ", m.num_classes_scored, " classes) | ",
                      Percent(m.mean_pxap), " |\n");
      for (size_t c = 0; c < m.per_class.size(); ++c) {
        if (!std::isnan(m.per_class[c])) {
          absl::StrAppend(&out, "| PxAP of class ", c, " | ", Percent(m.per_class[c]), " |\n");
        }
      }
      absl::StrAppend(&out, "| PxAP (every label's map, pooled) | ", Percent(report.masks->pxap),
                      " |\n");
    } else {
      absl::StrAppend(&out, "| PxAP | ", Percent(report.masks->pxap), " |\n");
    }
  } else if (report.boxes) {
    const BoxAccuracyResult& b = *report.boxes;
    images = b.num_images;
    const auto it = std::find(b.iou_thresholds.begin(), b.iou_thresholds.end(), 50);
    if (o.multi_contour || it == b.iou_thresholds.end()) {
      absl::StrAppend(&out, "| ", MetricName(report), " (mean over IoU ",
                      absl::StrJoin(b.iou_thresholds, ", "), ") | ", Percent(b.max_box_acc_mean),
                      " |\n");
    } else {
      absl::StrAppend(&out, "| MaxBoxAcc (IoU 50) | ",
                      Percent(b.max_box_acc[it - b.iou_thresholds.begin()]), " |\n");
    }
    for (size_t u = 0; u < b.iou_thresholds.size(); ++u) {
      absl::StrAppend(&out, "| ", MetricName(report), " @ IoU ", b.iou_thresholds[u],
                      " (best CAM threshold ", absl::StrFormat("%.4g", b.best_cam_threshold[u]),
                      ") | ", Percent(b.max_box_acc[u]), " |\n");
    }
    absl::StrAppend(&out, "| GT-known Loc @ sigma ", absl::StrFormat("%.4g", b.sigma),
                    " (IoU 50) | ", Percent(b.gt_known_loc_at_sigma), " |\n");
  }
  absl::StrAppend(&out, "\n", images, " images; CAM curve interval ",
                  absl::StrFormat("%g", o.cam_curve_interval),
                  report.boxes ? (o.multi_contour ? "; every contour" : "; largest contour") : "",
                  "; evaluation size ", o.eval_size, "\n");
  return out;
}

std::string ReportToJson(const EvaluationReport& report) {
  const EvaluateFolderOptions& o = report.options;
  std::vector<std::string> fields = {
      absl::StrCat("\"metric\": ", JsonString(MetricName(report))),
      absl::StrCat("\"metadata\": ", JsonString(o.metadata)),
      absl::StrCat("\"scoremaps\": ", JsonString(o.scoremaps)),
      absl::StrCat("\"cam_curve_interval\": ", Full(o.cam_curve_interval)),
      absl::StrCat("\"eval_size\": ", o.eval_size),
  };
  if (report.masks) {
    const PxapResult& m = *report.masks;
    fields.push_back(absl::StrCat("\"num_images\": ", m.num_images));
    fields.push_back(absl::StrCat("\"mask_root\": ", JsonString(o.mask_root)));
    fields.push_back(absl::StrCat("\"pxap\": ", Full(m.pxap)));
    if (report.mean_pxap) {
      std::vector<std::string> per_class;
      for (double v : report.mean_pxap->per_class) {
        per_class.push_back(std::isnan(v) ? "null" : Full(v));
      }
      fields.push_back(absl::StrCat("\"mpxap\": ", Full(report.mean_pxap->mean_pxap)));
      fields.push_back(absl::StrCat("\"pxap_per_class\": [", absl::StrJoin(per_class, ", "), "]"));
    }
  } else if (report.boxes) {
    const BoxAccuracyResult& b = *report.boxes;
    std::vector<std::string> accuracy, thresholds;
    for (size_t u = 0; u < b.iou_thresholds.size(); ++u) {
      accuracy.push_back(absl::StrCat("\"", b.iou_thresholds[u], "\": ", Full(b.max_box_acc[u])));
      thresholds.push_back(
          absl::StrCat("\"", b.iou_thresholds[u], "\": ", Full(b.best_cam_threshold[u])));
    }
    fields.push_back(absl::StrCat("\"num_images\": ", b.num_images));
    fields.push_back(absl::StrCat("\"multi_contour\": ", o.multi_contour ? "true" : "false"));
    fields.push_back(
        absl::StrCat("\"iou_thresholds\": [", absl::StrJoin(b.iou_thresholds, ", "), "]"));
    fields.push_back(absl::StrCat("\"max_box_acc\": {", absl::StrJoin(accuracy, ", "), "}"));
    fields.push_back(
        absl::StrCat("\"best_cam_threshold\": {", absl::StrJoin(thresholds, ", "), "}"));
    fields.push_back(absl::StrCat("\"max_box_acc_mean\": ", Full(b.max_box_acc_mean)));
    fields.push_back(absl::StrCat("\"sigma\": ", Full(b.sigma)));
    fields.push_back(absl::StrCat("\"gt_known_loc_at_sigma\": ", Full(b.gt_known_loc_at_sigma)));
    fields.push_back(absl::StrCat("\"best_loc_cam_threshold\": ", Full(b.best_loc_cam_threshold)));
    fields.push_back(absl::StrCat("\"gt_known_loc_at_best\": ", Full(b.gt_known_loc_at_best)));
  }
  return absl::StrCat("{\n  ", absl::StrJoin(fields, ",\n  "), "\n}\n");
}

}  // namespace wsol::evaluation
