#include "paper_tables/lib/figures.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "opencv2/imgproc.hpp"
#include "paper_tables/lib/plot.h"
#include "paper_tables/lib/seed_stats.h"
#include "wsol/train/explain.h"
#include "wsol/train/run_folder.h"
#include "wsol/util/status_macros.h"
#include "wsol/util/file_io.h"

namespace wsol::tables {
namespace {

namespace fs = std::filesystem;

train::ExplainOptions Explain(const TableOptions& options) {
  return {.cache_dir = options.cache_dir, .components = options.components};
}

struct FinishedRun {
  const PlannedRun* planned;
  proto::RunResults results;
};

absl::StatusOr<std::vector<FinishedRun>> Finished(const std::vector<PlannedRun>& runs) {
  std::vector<FinishedRun> out;
  for (const PlannedRun& p : runs) {
    absl::StatusOr<proto::RunResults> r = train::ReadResults(p.run_dir);
    if (r.ok()) out.push_back({&p, *std::move(r)});
  }
  if (out.empty()) return absl::FailedPreconditionError("no finished runs to draw from");
  return out;
}

absl::Status Write(const std::string& path, const cv::Mat& image) {
  if (!WritePng(path, image)) return absl::InternalError(absl::StrCat(path, ": cannot write PNG"));
  std::cout << "figure: " << path << "\n";
  return absl::OkStatus();
}

// Points sorted by x, so a reader sees the trend left to right.
Series SortedByX(const Series& s) {
  std::vector<size_t> order(s.x.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s.x[a] < s.x[b]; });
  Series sorted{.name = s.name, .lines = true};
  for (size_t i : order) {
    sorted.x.push_back(s.x[i]);
    sorted.y.push_back(s.y[i]);
    if (i < s.x_err.size()) sorted.x_err.push_back(s.x_err[i]);
    if (i < s.y_err.size()) sorted.y_err.push_back(s.y_err[i]);
    if (i < s.point_labels.size()) sorted.point_labels.push_back(s.point_labels[i]);
  }
  return sorted;
}

// The entropy figure: each row's final models (mean ± std over seeds) against their test
// entropy (left) and their last-epoch training entropy (middle), and each row's
// validation localization against validation entropy epoch by epoch (right; the mean over
// seeds at each epoch).
absl::Status EntropyFigure(const proto::TableSpec& table, const std::vector<FinishedRun>& runs,
                           const std::string& out_dir) {
  std::map<int, std::vector<const proto::RunResults*>> by_row;
  for (const FinishedRun& run : runs) by_row[run.planned->row].push_back(&run.results);
  const char* const kMetrics[] = {"max_box_acc_v2", "pxap", "top1_cls"};
  const char* const kNames[] = {"MaxBoxAccV2", "PxAP", "Top-1 Cls"};
  Series test_side[3], train_side[3];
  for (int m = 0; m < 3; ++m) {
    test_side[m] = {.name = kNames[m], .lines = false};
    train_side[m] = {.name = kNames[m], .lines = false};
  }
  Plot across_epochs{.title = "During training (validation split; mean over seeds)",
                     .x_label = "mean entropy of validation predictions (nats)",
                     .y_label = "validation localization (%)"};
  std::string csv = "run,setting,seed,epoch,test_or_val_entropy,train_entropy,localization,top1_cls\n";
  for (const auto& [row_index, results] : by_row) {
    const proto::TableRun& row = table.runs(row_index);
    const std::string tag = row.setting().empty() ? row.label() : row.setting();
    auto summary = [&](const std::string& column) {
      std::vector<double> values;
      for (const proto::RunResults* r : results) values.push_back(MetricValue(*r, column));
      return Summarize(values);
    };
    const SeedSummary test_entropy = summary("mean_entropy");
    const SeedSummary train_entropy = summary("train_entropy");
    for (int m = 0; m < 3; ++m) {
      const SeedSummary y = summary(kMetrics[m]);
      for (auto [series, x] : {std::pair{&test_side[m], test_entropy},
                               std::pair{&train_side[m], train_entropy}}) {
        series->x.push_back(x.mean);
        series->x_err.push_back(x.std);
        series->y.push_back(y.mean);
        series->y_err.push_back(y.std);
        series->point_labels.push_back(m == 0 ? tag : "");
      }
    }
    // Per epoch, the mean over the seeds that have it.
    Series curve{.name = row.label()};
    std::map<int, std::pair<std::vector<double>, std::vector<double>>> epochs;
    for (size_t k = 0; k < results.size(); ++k) {
      const proto::RunResults& r = *results[k];
      for (const proto::EpochRecord& e : r.history()) {
        epochs[e.epoch()].first.push_back(e.val_entropy());
        epochs[e.epoch()].second.push_back(e.val_localization());
        csv += absl::StrFormat("%s,%s,%d,%d,%.6f,%.6f,%.4f,%.4f\n", row.label(), tag, k,
                               e.epoch(), e.val_entropy(), e.train_entropy(), e.val_localization(),
                               e.val_top1_cls());
      }
      csv += absl::StrFormat("%s,%s,%d,final,%.6f,%.6f,%.4f,%.4f\n", row.label(), tag, k,
                             r.test().mean_entropy(), MetricValue(r, "train_entropy"),
                             r.test().max_box_acc_v2(), r.test().top1_cls());
    }
    for (const auto& [epoch, values] : epochs) {
      curve.x.push_back(Summarize(values.first).mean);
      curve.y.push_back(Summarize(values.second).mean);
      curve.point_labels.push_back(epoch == 1 ? "ep 1" : "");
    }
    across_epochs.series.push_back(curve);
  }
  Plot test_plot{.title = "Final models (test split; mean +/- std over seeds)",
                 .x_label = "mean entropy of test predictions (nats)",
                 .y_label = "score (%)"};
  Plot train_plot{.title = "Final models against training entropy",
                  .x_label = "mean entropy of training predictions, last epoch (nats)",
                  .y_label = "test score (%)"};
  for (int m = 0; m < 3; ++m) {
    test_plot.series.push_back(SortedByX(test_side[m]));
    train_plot.series.push_back(SortedByX(train_side[m]));
  }
  cv::Mat figure = HorizontalConcat(
      {RenderPlot(test_plot), RenderPlot(train_plot), RenderPlot(across_epochs)});
  WSOL_RETURN_IF_ERROR(Write((fs::path(out_dir) / "figure_entropy.png").string(), figure));
  return wsol::WriteFileAtomically((fs::path(out_dir) / "figure_entropy_points.csv").string(), csv);
}

cv::Mat Upscale(const cv::Mat& bgr, int side) {
  cv::Mat out;
  cv::resize(bgr, out, cv::Size(side, side), 0, 0, cv::INTER_NEAREST);
  return out;
}

void DrawBox(cv::Mat& image, const metrics::Box& box, double scale, const cv::Scalar& color) {
  cv::rectangle(image,
                cv::Point(static_cast<int>(box.x0 * scale), static_cast<int>(box.y0 * scale)),
                cv::Point(static_cast<int>((box.x1 + 1) * scale) - 1,
                          static_cast<int>((box.y1 + 1) * scale) - 1),
                color, 2);
}

// input with boxes | heat map | overlay, each `side` pixels.
cv::Mat Strip(const train::ImageExplanation& e, int side, const std::string& caption) {
  const double scale = static_cast<double>(side) / e.image_bgr.cols;
  cv::Mat input = Upscale(e.image_bgr, side);
  for (const metrics::Box& gt : e.gt_boxes) DrawBox(input, gt, scale, {0, 0, 255});
  DrawBox(input, e.predicted_box, scale, {0, 200, 0});
  cv::Mat cam;
  cv::resize(e.cam, cam, cv::Size(side, side), 0, 0, cv::INTER_LINEAR);
  cv::Mat heat = HeatMap(cam);
  cv::Mat overlay = Overlay(Upscale(e.image_bgr, side), heat, 0.5);
  return WithCaption(HorizontalConcat({input, heat, overlay}, 2), caption);
}

struct Pair {
  const FinishedRun* baseline = nullptr;
  const FinishedRun* er = nullptr;
};

absl::StatusOr<Pair> BaselineAndEr(const proto::TableSpec& table,
                                   const std::vector<FinishedRun>& runs) {
  Pair pair;
  for (const FinishedRun& r : runs) {
    const std::string& variant = table.runs(r.planned->row).variant();
    if (variant == "baseline" && pair.baseline == nullptr) pair.baseline = &r;
    if (variant == "er" && pair.er == nullptr) pair.er = &r;
  }
  if (pair.baseline == nullptr || pair.er == nullptr) {
    return absl::FailedPreconditionError(
        "the figure needs a finished baseline run and a finished ER run");
  }
  return pair;
}

absl::Status QualitativeFigure(const proto::TableSpec& table, const std::vector<FinishedRun>& runs,
                               const TableOptions& options, const std::string& out_dir) {
  WSOL_ASSIGN_OR_RETURN(Pair pair, BaselineAndEr(table, runs));
  constexpr int kCandidates = 24;
  WSOL_ASSIGN_OR_RETURN(auto base, train::ExplainTestImages(pair.baseline->planned->experiment,
                                                            pair.baseline->planned->run_dir,
                                                            Explain(options), kCandidates));
  WSOL_ASSIGN_OR_RETURN(auto er, train::ExplainTestImages(pair.er->planned->experiment,
                                                          pair.er->planned->run_dir,
                                                          Explain(options), kCandidates));
  // Five images evenly spread over the test split, plus the one where ER localizes worst
  // (the failure case the paper shows honestly).
  std::vector<size_t> chosen;
  for (size_t i = 0; i < er.size() && chosen.size() < 5; i += std::max<size_t>(1, er.size() / 5)) {
    chosen.push_back(i);
  }
  size_t worst = 0;
  for (size_t i = 1; i < er.size(); ++i) {
    if (er[i].iou < er[worst].iou) worst = i;
  }
  if (std::find(chosen.begin(), chosen.end(), worst) == chosen.end()) chosen.push_back(worst);
  std::vector<cv::Mat> rows;
  std::string csv = "image_id,label,baseline_predicted,baseline_iou,er_predicted,er_iou\n";
  constexpr int kSide = 128;
  for (size_t i : chosen) {
    const std::string failure = i == worst ? "  [worst ER case]" : "";
    cv::Mat left = Strip(base[i], kSide,
                         absl::StrFormat("baseline: class %d->%d, IoU %.2f", base[i].label,
                                         base[i].predicted, base[i].iou));
    cv::Mat right = Strip(er[i], kSide,
                          absl::StrFormat("ER: class %d->%d, IoU %.2f%s", er[i].label,
                                          er[i].predicted, er[i].iou, failure));
    rows.push_back(HorizontalConcat({left, right}, 16));
    csv += absl::StrFormat("%s,%d,%d,%.4f,%d,%.4f\n", er[i].image_id, er[i].label,
                           base[i].predicted, base[i].iou, er[i].predicted, er[i].iou);
  }
  cv::Mat figure = WithCaption(VerticalConcat(rows, 6),
                               "input (green: predicted box at sigma, red: GT) | CAM | overlay",
                               26);
  WSOL_RETURN_IF_ERROR(Write((fs::path(out_dir) / "figure_qualitative.png").string(), figure));
  return wsol::WriteFileAtomically((fs::path(out_dir) / "figure_qualitative.csv").string(), csv);
}

absl::Status FeatureMapFigure(const proto::TableSpec& table, const std::vector<FinishedRun>& runs,
                              const TableOptions& options, const std::string& out_dir) {
  WSOL_ASSIGN_OR_RETURN(Pair pair, BaselineAndEr(table, runs));
  constexpr int kImages = 3;
  WSOL_ASSIGN_OR_RETURN(auto base, train::ExplainTestImages(pair.baseline->planned->experiment,
                                                            pair.baseline->planned->run_dir,
                                                            Explain(options), kImages));
  WSOL_ASSIGN_OR_RETURN(auto er, train::ExplainTestImages(pair.er->planned->experiment,
                                                          pair.er->planned->run_dir,
                                                          Explain(options), kImages));
  constexpr int kSide = 112;
  std::vector<cv::Mat> rows;
  for (size_t i = 0; i < base.size() && i < er.size(); ++i) {
    for (const auto* set : {&base, &er}) {
      const train::ImageExplanation& e = (*set)[i];
      std::vector<cv::Mat> cells = {
          WithCaption(Upscale(e.image_bgr, kSide), set == &base ? "baseline" : "ER")};
      for (size_t s = 0; s < e.stage_maps.size(); ++s) {
        cv::Mat map;
        cv::resize(e.stage_maps[s], map, cv::Size(kSide, kSide), 0, 0, cv::INTER_NEAREST);
        cells.push_back(WithCaption(HeatMap(map),
                                    absl::StrFormat("stage %d %dx%d", s + 1,
                                                    e.stage_maps[s].cols, e.stage_maps[s].rows)));
      }
      rows.push_back(HorizontalConcat(cells, 4));
    }
  }
  cv::Mat figure = WithCaption(VerticalConcat(rows, 10),
                               "channel-mean feature map of each conv stage (min-max scaled)", 26);
  return Write((fs::path(out_dir) / "figure_feature_maps.png").string(), figure);
}

}  // namespace

absl::Status RenderFigure(const proto::TableSpec& table, const std::vector<PlannedRun>& runs,
                          const TableOptions& options, const std::string& out_dir) {
  if (table.figure() == proto::TableSpec::NO_FIGURE) return absl::OkStatus();
  WSOL_ASSIGN_OR_RETURN(std::vector<FinishedRun> finished, Finished(runs));
  switch (table.figure()) {
    case proto::TableSpec::ENTROPY:
      return EntropyFigure(table, finished, out_dir);
    case proto::TableSpec::QUALITATIVE:
      return QualitativeFigure(table, finished, options, out_dir);
    case proto::TableSpec::FEATURE_MAPS:
      return FeatureMapFigure(table, finished, options, out_dir);
    case proto::TableSpec::NO_FIGURE:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("table ", table.name(), ": no renderer for figure ", table.figure()));
}

absl::StatusOr<std::string> RegenerateTable(const std::string& name, const TableOptions& options,
                                            const RunFunction& run) {
  WSOL_ASSIGN_OR_RETURN(proto::TableSpec table, LoadTableSpecFor(name, options));
  WSOL_ASSIGN_OR_RETURN(std::vector<PlannedRun> runs, PlanRuns(table, options));
  WSOL_ASSIGN_OR_RETURN(std::string out_dir, RunTable(table, runs, options, run));
  if (options.dry_run) return out_dir;
  WSOL_RETURN_IF_ERROR(RenderFigure(table, runs, options, out_dir));
  return out_dir;
}

}  // namespace wsol::tables
