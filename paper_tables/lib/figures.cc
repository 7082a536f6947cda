#include "paper_tables/lib/figures.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "opencv2/imgproc.hpp"
#include "paper_tables/lib/plot.h"
#include "paper_tables/lib/seed_stats.h"
#include "wsol/train/explain.h"
#include "wsol/train/run_folder.h"
#include "wsol/util/file_io.h"
#include "wsol/util/status_macros.h"

namespace wsol::tables {
namespace {

namespace fs = std::filesystem;

// Fashion-MNIST's classes in label order (Xiao et al., 2017), as the data set's paper
// writes them; FMNIST-Loc keeps its labels.
const char* const kFashionMnistClassNames[] = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                               "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                               "Bag",         "Ankle boot"};

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
    absl::StatusOr<proto::RunResults> r = train::ReadVerifiedResults(p.run_dir, p.fingerprint);
    if (r.ok()) out.push_back({&p, *std::move(r)});
  }
  if (out.empty()) return absl::FailedPreconditionError("no finished runs to draw from");
  return out;
}

absl::Status Write(const std::string& path, const cv::Mat& image) {
  if (absl::Status written = WritePng(path, image); !written.ok()) return written;
  std::cout << "figure: " << path << "\n";
  return absl::OkStatus();
}

// Pieces of a figure stacked into one image, their text boxes and plot areas moved along.
class Composer {
 public:
  explicit Composer(FigureLayout* layout) : layout_(layout) {}

  // Places `image` with its top-left corner at `at`; `texts`, `plot` are in its pixels.
  void Place(const cv::Mat& image, cv::Point at, const std::vector<TextBox>& texts = {},
             const PlotLayout* plot = nullptr) {
    parts_.push_back({image, at});
    for (const TextBox& t : Shifted(texts, at)) layout_->texts.push_back(t);
    if (plot != nullptr) {
      for (const TextBox& t : Shifted(plot->texts, at)) layout_->texts.push_back(t);
      if (plot->area.area() > 0) layout_->plot_areas.push_back(plot->area + at);
      if (plot->legend.area() > 0) layout_->legends.push_back(plot->legend + at);
      layout_->dropped_point_labels += plot->dropped_point_labels;
    }
  }

  cv::Mat Render(int margin) const {
    int width = 0, height = 0;
    for (const auto& [image, at] : parts_) {
      width = std::max(width, at.x + image.cols);
      height = std::max(height, at.y + image.rows);
    }
    cv::Mat out(height + margin, width + margin, CV_8UC3, cv::Scalar(255, 255, 255));
    for (const auto& [image, at] : parts_) image.copyTo(out(cv::Rect(at, image.size())));
    return out;
  }

 private:
  FigureLayout* layout_;
  std::vector<std::pair<cv::Mat, cv::Point>> parts_;
};

// ---------------------------------------------------------------------------------------
// The entropy figure.

struct FinalMetric {
  const char* name;
  SeedSummary EntropyFigureRow::*value;
};
const FinalMetric kFinalMetrics[] = {{"MaxBoxAccV2", &EntropyFigureRow::max_box_acc_v2},
                                     {"PxAP", &EntropyFigureRow::pxap},
                                     {"Top-1 Cls", &EntropyFigureRow::top1_cls}};

bool Has(const SeedSummary& s) { return s.n > 0 && std::isfinite(s.mean); }

constexpr int kPanelWidth = 470;
constexpr int kPanelHeight = 370;
constexpr double kPanelText = 1.1;
constexpr int kLegendWidth = 260;

// Final models: metric `y` against entropy `x`, one coloured point (mean +- std over the
// seeds) per row labelled with its setting, joined in row order by a gray path.
Plot FinalModelsPanel(const EntropyFigureData& data, SeedSummary EntropyFigureRow::*x,
                      SeedSummary EntropyFigureRow::*y, const std::string& title,
                      const std::string& x_label, const std::string& y_label) {
  Plot plot{.title = title,
            .x_label = x_label,
            .y_label = y_label,
            .width = kPanelWidth,
            .height = kPanelHeight,
            .legend = Plot::Legend::kNone,
            .text_scale = kPanelText};
  Series path{.lines = true, .markers = false, .gray = true, .line_width = 1, .in_legend = false};
  for (size_t r = 0; r < data.rows.size(); ++r) {
    const EntropyFigureRow& row = data.rows[r];
    const SeedSummary &sx = row.*x, &sy = row.*y;
    if (!Has(sx) || !Has(sy)) continue;
    path.x.push_back(sx.mean);
    path.y.push_back(sy.mean);
    plot.series.push_back({.name = row.label,
                           .x = {sx.mean},
                           .y = {sy.mean},
                           .lines = false,
                           .point_labels = {row.setting.empty() ? row.label : row.setting},
                           .x_err = {sx.std},
                           .y_err = {sy.std},
                           .color_index = static_cast<int>(r)});
  }
  plot.series.insert(plot.series.begin(), path);
  return plot;
}

// Validation curves epoch by epoch: one mean curve per row with a +- std band.
Plot EpochPanel(const EntropyFigureData& data, std::vector<SeedSummary> EntropyFigureRow::*values,
                const std::string& title, const std::string& y_label) {
  Plot plot{.title = title,
            .x_label = "epoch",
            .y_label = y_label,
            .width = kPanelWidth,
            .height = kPanelHeight,
            .legend = Plot::Legend::kNone,
            .text_scale = kPanelText,
            .x_integers = true};
  for (size_t r = 0; r < data.rows.size(); ++r) {
    const EntropyFigureRow& row = data.rows[r];
    const std::vector<SeedSummary>& v = row.*values;
    // Long curves: thin lines, no markers.
    const bool long_curve = row.epochs.size() > 12;
    Series curve{.name = row.label,
                 .markers = !long_curve,
                 .color_index = static_cast<int>(r),
                 .line_width = long_curve ? 1 : 2,
                 .error_band = true};
    for (size_t e = 0; e < row.epochs.size() && e < v.size(); ++e) {
      curve.x.push_back(row.epochs[e]);
      curve.y.push_back(v[e].mean);
      curve.y_err.push_back(v[e].std);
    }
    plot.series.push_back(std::move(curve));
  }
  return plot;
}

EntropyFigureRow EntropyRowOf(const proto::TableRun& row,
                              const std::vector<const proto::RunResults*>& results) {
  auto summary = [&](const std::string& column) {
    std::vector<double> values;
    for (const proto::RunResults* r : results) values.push_back(MetricValue(*r, column));
    return Summarize(values);
  };
  EntropyFigureRow out{.label = row.label(),
                       .setting = row.setting(),
                       .test_entropy = summary("mean_entropy"),
                       .train_entropy = summary("train_entropy"),
                       .max_box_acc_v2 = summary("max_box_acc_v2"),
                       .pxap = summary("pxap"),
                       .top1_cls = summary("top1_cls")};
  // Per epoch, the mean over the seeds that have it.
  std::map<int, std::pair<std::vector<double>, std::vector<double>>> epochs;
  for (const proto::RunResults* r : results) {
    for (const proto::EpochRecord& e : r->history()) {
      if (!e.has_val_localization()) continue;  // Not observed (observe_every_epochs).
      epochs[e.epoch()].first.push_back(e.val_entropy());
      epochs[e.epoch()].second.push_back(e.val_localization());
    }
  }
  for (const auto& [epoch, values] : epochs) {
    out.epochs.push_back(epoch);
    out.val_entropy.push_back(Summarize(values.first));
    out.val_localization.push_back(Summarize(values.second));
  }
  return out;
}

// What EpochRecord.val_localization holds for these runs (as the trainer picks it).
std::string LocalizationMetricOf(const std::vector<FinishedRun>& runs) {
  bool boxes = false, mpxap = false;
  for (const FinishedRun& run : runs) {
    boxes = boxes || run.results.test().has_boxes();
    mpxap = mpxap || run.results.test().has_mpxap();
  }
  return boxes ? "MaxBoxAccV2" : mpxap ? "mPxAP" : "PxAP";
}

// The entropy figure and the CSV of every point behind it (per seed and epoch).
absl::Status EntropyFigure(const proto::TableSpec& table, const std::vector<FinishedRun>& runs,
                           const std::string& out_dir) {
  std::map<int, std::vector<const proto::RunResults*>> by_row;
  for (const FinishedRun& run : runs) by_row[run.planned->row].push_back(&run.results);
  EntropyFigureData data{.title = table.title().empty() ? table.name() : table.title(),
                         .localization_metric = LocalizationMetricOf(runs)};
  for (const auto& [row_index, results] : by_row) {
    data.seeds = std::max(data.seeds, static_cast<int>(results.size()));
  }
  std::string csv =
      "run,setting,seed,epoch,test_or_val_entropy,train_entropy,localization,top1_cls\n";
  for (const auto& [row_index, results] : by_row) {
    const proto::TableRun& row = table.runs(row_index);
    const std::string tag = row.setting().empty() ? row.label() : row.setting();
    data.rows.push_back(EntropyRowOf(row, results));
    for (size_t k = 0; k < results.size(); ++k) {
      const proto::RunResults& r = *results[k];
      for (const proto::EpochRecord& e : r.history()) {
        if (!e.has_val_localization()) continue;  // Not observed (observe_every_epochs).
        csv += absl::StrFormat("%s,%s,%d,%d,%.6f,%.6f,%.4f,%.4f\n", row.label(), tag, k, e.epoch(),
                               e.val_entropy(), e.train_entropy(), e.val_localization(),
                               e.val_top1_cls());
      }
      csv += absl::StrFormat("%s,%s,%d,final,%.6f,%.6f,%.4f,%.4f\n", row.label(), tag, k,
                             r.test().mean_entropy(), MetricValue(r, "train_entropy"),
                             r.test().max_box_acc_v2(), r.test().top1_cls());
    }
  }
  WSOL_RETURN_IF_ERROR(
      Write((fs::path(out_dir) / "figure_entropy.png").string(), RenderEntropyFigure(data)));
  return wsol::WriteFileAtomically((fs::path(out_dir) / "figure_entropy_points.csv").string(), csv);
}

// ---------------------------------------------------------------------------------------
// The qualitative and feature-map figures.

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

constexpr int kStripGap = 4;  // Between the three images of a strip.

// input with boxes | heat map | overlay, each `side` pixels.
cv::Mat Strip(const train::ImageExplanation& e, int side) {
  const double scale = static_cast<double>(side) / std::max(1, e.image_bgr.cols);
  cv::Mat input = Upscale(e.image_bgr, side);
  for (const metrics::Box& gt : e.gt_boxes) DrawBox(input, gt, scale, {0, 0, 255});
  DrawBox(input, e.predicted_box, scale, {0, 200, 0});
  cv::Mat cam;
  cv::resize(e.cam, cam, cv::Size(side, side), 0, 0, cv::INTER_LINEAR);
  cv::Mat heat = HeatMap(cam);
  cv::Mat overlay = Overlay(Upscale(e.image_bgr, side), heat, 0.5);
  return HorizontalConcat({input, heat, overlay}, kStripGap);
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

// The data set's class_names.txt (written by datasets/prepare) when its root has one.
std::vector<std::string> ClassNamesFile(const proto::Dataset& dataset) {
  if (dataset.root().empty()) return {};
  absl::StatusOr<std::string> text =
      ReadRegularFile((fs::path(dataset.root()) / "class_names.txt").string(), "class names");
  if (!text.ok()) return {};
  std::vector<std::string> names;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    names.emplace_back(absl::StripAsciiWhitespace(line));
  }
  while (!names.empty() && names.back().empty()) names.pop_back();
  return names;
}

absl::Status QualitativeFigure(const proto::TableSpec& table, const std::vector<FinishedRun>& runs,
                               const TableOptions& options, const std::string& out_dir) {
  WSOL_ASSIGN_OR_RETURN(Pair pair, BaselineAndEr(table, runs));
  constexpr int kCandidates = 24;
  WSOL_ASSIGN_OR_RETURN(auto base, train::ExplainTestImages(pair.baseline->planned->experiment,
                                                            pair.baseline->planned->run_dir,
                                                            Explain(options), kCandidates));
  WSOL_ASSIGN_OR_RETURN(
      auto er, train::ExplainTestImages(pair.er->planned->experiment, pair.er->planned->run_dir,
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
  const proto::Experiment& er_spec = pair.er->planned->experiment;
  QualitativeFigureData data{
      .title = table.title().empty() ? table.name() : table.title(),
      .dataset_name = er_spec.dataset().name(),
      .class_names = ClassNamesFile(er_spec.dataset()),
      .baseline_label = table.runs(pair.baseline->planned->row).label(),
      .er_label = table.runs(pair.er->planned->row).label(),
      .baseline_sigma = pair.baseline->planned->experiment.evaluation().box_threshold(),
      .er_sigma = er_spec.evaluation().box_threshold()};
  std::string csv = "image_id,label,baseline_predicted,baseline_iou,er_predicted,er_iou\n";
  for (size_t i : chosen) {
    if (i >= base.size()) continue;
    if (i == worst) data.worst_row = static_cast<int>(data.er.size());
    data.baseline.push_back(base[i]);
    data.er.push_back(er[i]);
    csv += absl::StrFormat("%s,%d,%d,%.4f,%d,%.4f\n", er[i].image_id, er[i].label,
                           base[i].predicted, base[i].iou, er[i].predicted, er[i].iou);
  }
  WSOL_RETURN_IF_ERROR(Write((fs::path(out_dir) / "figure_qualitative.png").string(),
                             RenderQualitativeFigure(data)));
  return wsol::WriteFileAtomically((fs::path(out_dir) / "figure_qualitative.csv").string(), csv);
}

absl::Status FeatureMapFigure(const proto::TableSpec& table, const std::vector<FinishedRun>& runs,
                              const TableOptions& options, const std::string& out_dir) {
  WSOL_ASSIGN_OR_RETURN(Pair pair, BaselineAndEr(table, runs));
  constexpr int kImages = 3;
  WSOL_ASSIGN_OR_RETURN(auto base, train::ExplainTestImages(pair.baseline->planned->experiment,
                                                            pair.baseline->planned->run_dir,
                                                            Explain(options), kImages));
  WSOL_ASSIGN_OR_RETURN(
      auto er, train::ExplainTestImages(pair.er->planned->experiment, pair.er->planned->run_dir,
                                        Explain(options), kImages));
  const std::string base_label = table.runs(pair.baseline->planned->row).label();
  const std::string er_label = table.runs(pair.er->planned->row).label();
  constexpr int kSide = 112;
  std::vector<cv::Mat> rows;
  for (size_t i = 0; i < base.size() && i < er.size(); ++i) {
    for (const auto* set : {&base, &er}) {
      const train::ImageExplanation& e = (*set)[i];
      std::vector<cv::Mat> cells = {
          WithCaption(Upscale(e.image_bgr, kSide), set == &base ? base_label : er_label)};
      for (size_t s = 0; s < e.stage_maps.size(); ++s) {
        cv::Mat map;
        cv::resize(e.stage_maps[s], map, cv::Size(kSide, kSide), 0, 0, cv::INTER_NEAREST);
        cells.push_back(WithCaption(
            HeatMap(map),
            absl::StrFormat("stage %d %dx%d", s + 1, e.stage_maps[s].cols, e.stage_maps[s].rows)));
      }
      rows.push_back(HorizontalConcat(cells, 4));
    }
  }
  cv::Mat maps = VerticalConcat(rows, 10);
  cv::Mat header =
      TextBand(std::max(maps.cols, 420),
               {{table.title().empty() ? table.name() : table.title(), 0.6},
                {"Channel-mean feature map of each conv stage, min-max scaled per map", 0.46}});
  cv::Mat bar =
      ColorBar(std::min(std::max(maps.cols, 420), 420), "feature map value (min-max scaled)");
  return Write((fs::path(out_dir) / "figure_feature_maps.png").string(),
               VerticalConcat({header, maps, bar}, 8));
}

}  // namespace

std::string ClassName(const std::string& dataset_name, int label,
                      const std::vector<std::string>& names) {
  constexpr int kFashionMnistClasses =
      sizeof(kFashionMnistClassNames) / sizeof(kFashionMnistClassNames[0]);
  if (dataset_name == "FMNIST_LOC" && label >= 0 && label < kFashionMnistClasses) {
    return kFashionMnistClassNames[label];
  }
  if (label >= 0 && label < static_cast<int>(names.size()) && !names[label].empty()) {
    return names[label];
  }
  return absl::StrCat("class ", label);
}

cv::Mat RenderEntropyFigure(const EntropyFigureData& data, FigureLayout* layout) {
  FigureLayout local;
  FigureLayout& out = layout != nullptr ? *layout : local;
  out = FigureLayout();
  Composer composer(&out);
  constexpr int kMargin = 12, kGap = 14, kColumns = 3;

  // Which panels have data: the metrics some row has; training entropy; epochs.
  std::vector<const FinalMetric*> metrics;
  for (const FinalMetric& m : kFinalMetrics) {
    for (const EntropyFigureRow& row : data.rows) {
      if (Has(row.*m.value)) {
        metrics.push_back(&m);
        break;
      }
    }
  }
  bool train_entropy = false, epochs = false;
  for (const EntropyFigureRow& row : data.rows) {
    train_entropy = train_entropy || Has(row.train_entropy);
    epochs = epochs || !row.epochs.empty();
  }

  std::vector<Plot> test_row, train_row;
  for (const FinalMetric* m : metrics) {
    test_row.push_back(FinalModelsPanel(
        data, &EntropyFigureRow::test_entropy, m->value, absl::StrCat(m->name, " vs test entropy"),
        "mean entropy of test predictions (nats)", absl::StrCat("test ", m->name, " (%)")));
    if (train_entropy) {
      train_row.push_back(FinalModelsPanel(data, &EntropyFigureRow::train_entropy, m->value,
                                           absl::StrCat(m->name, " vs training entropy"),
                                           "mean entropy of training predictions (nats)",
                                           absl::StrCat("test ", m->name, " (%)")));
    }
  }
  // The colours' legend: one entry per row, in the last free cell.
  Plot legend{.legend_title = "Colour in all panels:", .text_scale = kPanelText};
  for (size_t r = 0; r < data.rows.size(); ++r) {
    legend.series.push_back({.name = data.rows[r].label, .color_index = static_cast<int>(r)});
  }
  std::vector<Plot> epoch_row;
  if (epochs) {
    epoch_row.push_back(EpochPanel(data, &EntropyFigureRow::val_entropy,
                                   "Validation entropy per epoch", "val. mean entropy (nats)"));
    epoch_row.push_back(
        EpochPanel(data, &EntropyFigureRow::val_localization,
                   absl::StrCat("Validation ", data.localization_metric, " per epoch"),
                   absl::StrCat("val. ", data.localization_metric, " (%)")));
  }
  // The legend goes beside the curves, else in the first row with a free cell. The
  // figure is as wide as its widest row.
  const std::vector<Plot>* legend_row = nullptr;
  for (const std::vector<Plot>* row : {&epoch_row, &test_row, &train_row}) {
    if (legend_row == nullptr && !row->empty() && static_cast<int>(row->size()) < kColumns) {
      legend_row = row;
    }
  }
  int width = kLegendWidth;
  for (const std::vector<Plot>* row : {&test_row, &train_row, &epoch_row}) {
    const int panels = static_cast<int>(row->size());
    width = std::max(width, panels * (kPanelWidth + kGap) - kGap +
                                (row == legend_row ? kGap + kLegendWidth : 0));
  }

  // Header: the title and how to read the panels.
  const std::string seeds =
      data.seeds > 1 ? absl::StrFormat("mean +/- std over %d seeds (error bars)", data.seeds)
                     : std::string("one seed");
  std::vector<TextBox> header_texts;
  const cv::Mat header =
      TextBand(width,
               {{data.title, 0.8},
                {absl::StrCat("Top rows: final models, ", seeds,
                              ", one colour per lambda; point labels give lambda, the gray path "
                              "joins the points in increasing lambda."),
                 0.55},
                {absl::StrCat("Bottom row: validation curves epoch by epoch, ",
                              data.seeds > 1 ? "mean over seeds (band: +/- std)." : "one seed."),
                 0.55}},
               &header_texts);
  composer.Place(header, {kMargin, kMargin}, header_texts);
  int y = kMargin + header.rows + 4;

  auto place_row = [&](const std::vector<Plot>& plots, const Plot* legend_of) {
    int x = kMargin;
    for (const Plot& plot : plots) {
      PlotLayout panel;
      const cv::Mat image = RenderPlot(plot, &panel);
      composer.Place(image, {x, y}, {}, &panel);
      x += kPanelWidth + kGap;
    }
    if (legend_of != nullptr) {
      PlotLayout panel;
      const cv::Mat image = RenderLegend(*legend_of, {kLegendWidth, kPanelHeight}, &panel);
      composer.Place(image, {x, y}, {}, &panel);
    }
    y += kPanelHeight + kGap;
  };
  for (const std::vector<Plot>* row : {&test_row, &train_row, &epoch_row}) {
    if (!row->empty()) place_row(*row, row == legend_row ? &legend : nullptr);
  }
  if (legend_row == nullptr) place_row({}, &legend);
  return composer.Render(kMargin);
}

cv::Mat RenderQualitativeFigure(const QualitativeFigureData& data, FigureLayout* layout) {
  FigureLayout local;
  FigureLayout& out = layout != nullptr ? *layout : local;
  out = FigureLayout();
  Composer composer(&out);
  constexpr int kMargin = 12, kSide = 128, kBetweenStrips = 28;
  constexpr double kCaption = 0.46, kHeading = 0.55;
  const int strip_width = 3 * kSide + 2 * kStripGap;
  const int width = 2 * strip_width + kBetweenStrips;
  const int strip_x[] = {kMargin, kMargin + strip_width + kBetweenStrips};
  const int line = TextExtent("Ag", kCaption).height + 6;

  std::vector<TextBox> texts;
  const cv::Mat header = TextBand(
      width,
      {{data.title, 0.7},
       {"Each row: one test image. Per model: the input with the predicted box (green: "
        "around the largest region where the CAM is at least sigma) and the ground-truth box "
        "(red) | the CAM of the true class | both overlaid.",
        kCaption}},
      &texts);
  composer.Place(header, {kMargin, kMargin}, texts);
  int y = kMargin + header.rows + 6;

  // Column headings: each model with its sigma, then what each image shows.
  cv::Mat headings(2 * line + TextExtent("Ag", kHeading).height + 10, width + 2 * kMargin, CV_8UC3,
                   cv::Scalar(255, 255, 255));
  texts.clear();
  const std::pair<std::string, double> models[] = {{data.baseline_label, data.baseline_sigma},
                                                   {data.er_label, data.er_sigma}};
  const int heading_h = TextExtent("Ag", kHeading).height;
  for (int m = 0; m < 2; ++m) {
    const std::string text =
        absl::StrCat(models[m].first, "  (sigma = ", FormatNumber(models[m].second, 2), ")");
    const int w = TextExtent(text, kHeading).width;
    texts.push_back(DrawText(headings, text, {strip_x[m] + (strip_width - w) / 2, heading_h},
                             kHeading, TextRole::kTitle));
    const char* const cells[] = {"input + boxes", "CAM", "overlay"};
    for (int c = 0; c < 3; ++c) {
      const int cw = TextExtent(cells[c], kCaption).width;
      texts.push_back(DrawText(
          headings, cells[c],
          {strip_x[m] + c * (kSide + kStripGap) + (kSide - cw) / 2, heading_h + 8 + line - 4},
          kCaption, TextRole::kCaption, {80, 80, 80}));
    }
  }
  composer.Place(headings, {0, y}, texts);
  y += heading_h + line + 12;

  for (size_t r = 0; r < data.er.size() && r < data.baseline.size(); ++r) {
    const train::ImageExplanation* shown[] = {&data.baseline[r], &data.er[r]};
    cv::Mat captions(2 * line + 4, width + 2 * kMargin, CV_8UC3, cv::Scalar(255, 255, 255));
    texts.clear();
    std::string title = absl::StrCat(
        "true class: ", ClassName(data.dataset_name, shown[1]->label, data.class_names), "   (",
        shown[1]->image_id, ")");
    if (static_cast<int>(r) == data.worst_row)
      absl::StrAppend(&title, "   [worst ", data.er_label, " case]");
    texts.push_back(DrawText(captions, title, {kMargin, line - 4}, kCaption, TextRole::kCaption));
    for (int m = 0; m < 2; ++m) {
      const train::ImageExplanation& e = *shown[m];
      const std::string text =
          absl::StrCat("predicted ", ClassName(data.dataset_name, e.predicted, data.class_names),
                       e.predicted == e.label ? "" : " (wrong)", ", IoU ", FormatNumber(e.iou, 2));
      texts.push_back(
          DrawText(captions, text, {strip_x[m], 2 * line - 4}, kCaption, TextRole::kCaption,
                   e.predicted == e.label ? cv::Scalar(0, 0, 0) : cv::Scalar(0, 0, 190)));
    }
    composer.Place(captions, {0, y}, texts);
    y += captions.rows;
    for (int m = 0; m < 2; ++m) composer.Place(Strip(*shown[m], kSide), {strip_x[m], y});
    y += kSide + 14;
  }

  // The colour bar of the CAMs, sigma marked.
  std::vector<std::pair<double, std::string>> marks;
  if (std::abs(data.baseline_sigma - data.er_sigma) < 1e-9) {
    marks.push_back({data.er_sigma, absl::StrCat("sigma = ", FormatNumber(data.er_sigma, 2))});
  } else {
    for (const auto& [label, sigma] : models) {
      marks.push_back({sigma, absl::StrCat(label, ": sigma = ", FormatNumber(sigma, 2))});
    }
  }
  texts.clear();
  const int bar_width = std::min(width, 520);
  const cv::Mat bar =
      ColorBar(bar_width, "CAM value (normalized to [0, 1]), sigma marked", marks, &texts);
  composer.Place(bar, {kMargin + (width - bar_width) / 2, y}, texts);
  return composer.Render(kMargin);
}

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

}  // namespace wsol::tables
