// figures.h
//
// The paper's figures, drawn from finished runs of a table spec:
//   figure_entropy       mean prediction entropy against localization and classification,
//                        across lambda (final models) and across training epochs
//   figure_feature_maps  channel-mean feature maps of each conv stage, baseline vs ER
//   figure_qualitative   per image: input with predicted (green) and GT (red) boxes | CAM
//                        heat map | overlay, baseline vs ER, including a failure case
// A table spec picks its figure with `figure:` (tables have none). Each writes PNG files
// and the CSV behind them into out_dir (table_command.h calls RenderFigure after the runs).
//
// The entropy and qualitative figures are also drawn from plain data
// (RenderEntropyFigure, RenderQualitativeFigure), reporting where their text went, so a
// test checks their layout without training anything:
//
//   FigureLayout layout;
//   cv::Mat png = RenderEntropyFigure(data, &layout);
//   EXPECT_TRUE(OverlappingTexts(layout.texts).empty());
#ifndef PAPER_TABLES_LIB_FIGURES_H_
#define PAPER_TABLES_LIB_FIGURES_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "opencv2/core.hpp"
#include "paper_tables/lib/plot.h"
#include "paper_tables/lib/seed_stats.h"
#include "paper_tables/lib/table_runner.h"
#include "wsol/train/explain.h"

namespace wsol::tables {

// Draws table.figure() from the finished ones of `runs` (PlanRuns of `table`).
absl::Status RenderFigure(const proto::TableSpec& table, const std::vector<PlannedRun>& runs,
                          const TableOptions& options, const std::string& out_dir);

// The name figure text gives class `label` of data set `dataset_name` (Dataset.name):
// Fashion-MNIST's class names for FMNIST_LOC ("T-shirt/top", ..., "Ankle boot"), else
// names[label] when given (a prepared data set's class_names.txt), else "class <label>".
std::string ClassName(const std::string& dataset_name, int label,
                      const std::vector<std::string>& names = {});

// Where a figure's pieces went, in figure pixels.
struct FigureLayout {
  std::vector<TextBox> texts;        // Every piece of text the figure draws.
  std::vector<cv::Rect> plot_areas;  // The axes of each plot panel.
  std::vector<cv::Rect> legends;     // Each legend box.
  int dropped_point_labels = 0;      // Point labels no free place was found for.
};

// One row of the entropy figure (one lambda): its seeds' final numbers and, per epoch,
// the validation curves' mean and standard deviation over the seeds.
struct EntropyFigureRow {
  std::string label;          // "lambda = 1e-4": its legend entry.
  std::string setting;        // "1e-4": the label of its points.
  SeedSummary test_entropy;   // Mean entropy of the test predictions (nats).
  SeedSummary train_entropy;  // Of the training predictions after the last epoch (nats).
  SeedSummary max_box_acc_v2, pxap, top1_cls;  // Test split, percent.
  std::vector<int> epochs;
  std::vector<SeedSummary> val_entropy, val_localization;  // One per epoch.
};

struct EntropyFigureData {
  std::string title;
  std::string localization_metric = "MaxBoxAccV2";  // What val_localization measures.
  int seeds = 1;
  std::vector<EntropyFigureRow> rows;
};

// The entropy figure: final models' MaxBoxAccV2, PxAP and Top-1 Cls against test entropy
// (first row of panels) and training entropy (second row), one colour and point label
// per lambda with mean +- std error bars; the validation entropy and localization epoch
// by epoch (third row, one mean curve per lambda with a +- std band) beside the legend
// of the colours. Metrics no row has are left out.
cv::Mat RenderEntropyFigure(const EntropyFigureData& data, FigureLayout* layout = nullptr);

// The qualitative figure's content: the same test images explained by both models.
struct QualitativeFigureData {
  std::string title;
  std::string dataset_name;              // Dataset.name, for the class names.
  std::vector<std::string> class_names;  // Optional (class_names.txt of the data set).
  std::string baseline_label = "baseline";
  std::string er_label = "ER";
  double baseline_sigma = 0;  // CAM threshold of each model's boxes.
  double er_sigma = 0;
  std::vector<train::ImageExplanation> baseline;  // One per row, same images as `er`.
  std::vector<train::ImageExplanation> er;
  int worst_row = -1;  // The row of ER's worst case (-1: none).
};

// Per row: the true class, then for each model input with boxes | CAM | overlay with the
// predicted class and IoU; a colour bar of the CAM with sigma marked at the bottom.
cv::Mat RenderQualitativeFigure(const QualitativeFigureData& data, FigureLayout* layout = nullptr);

}  // namespace wsol::tables

#endif  // PAPER_TABLES_LIB_FIGURES_H_
