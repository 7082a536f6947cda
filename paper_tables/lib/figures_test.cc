#include "paper_tables/lib/figures.h"

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "paper_tables/lib/plot.h"
#include "paper_tables/lib/seed_stats.h"
#include "wsol/train/explain.h"

namespace wsol::tables {
namespace {

// The embedded profile's lambda grid (paper_tables/specs/figure_entropy.pbtxt).
const char* const kSettings[] = {"0", "1e-5", "1e-4", "1e-3", "1e-2", "1e-1"};
constexpr int kRows = 6;

SeedSummary Point(double mean, double std, int seeds) {
  return {.n = seeds, .mean = mean, .std = seeds > 1 ? std : 0.0};
}

// Six rows whose final numbers are `entropy[r]`, `accuracy[r]` (+ small offsets for the
// other metrics), with 80 epochs of noisy validation curves.
EntropyFigureData Synthetic(const std::vector<double>& entropy, const std::vector<double>& accuracy,
                            int seeds, bool with_pxap) {
  EntropyFigureData data{.title = "Entropy of predictions vs localization and classification",
                         .seeds = seeds};
  for (int r = 0; r < kRows; ++r) {
    EntropyFigureRow row{
        .label = absl::StrCat("lambda = ", kSettings[r]),
        .setting = kSettings[r],
        .test_entropy = Point(entropy[r], 0.004, seeds),
        .train_entropy = Point(entropy[r] * 0.8, 0.003, seeds),
        .max_box_acc_v2 = Point(accuracy[r], 0.3, seeds),
        .pxap = with_pxap ? Point(accuracy[r] - 4.0, 0.25, seeds) : Point(std::nan(""), 0, 0),
        .top1_cls = Point(accuracy[r] + 25.0 - 0.1 * r, 0.2, seeds)};
    for (int e = 1; e <= 80; ++e) {
      // Deterministic wiggles, different per row, as validation curves have.
      const double wiggle = std::sin(0.9 * e + r) * 0.5 + std::sin(2.3 * e * (r + 1)) * 0.3;
      row.epochs.push_back(e);
      row.val_entropy.push_back(
          Point(entropy[r] + 0.9 * std::exp(-e / 15.0) + 0.01 * wiggle, 0.02, seeds));
      row.val_localization.push_back(
          Point(accuracy[r] - 20.0 * std::exp(-e / 12.0) + 1.5 * wiggle, 1.0, seeds));
    }
    data.rows.push_back(row);
  }
  return data;
}

// Keeps a copy of the figure for a person to look at (bazel test's undeclared outputs).
void Keep(const cv::Mat& image, const std::string& name) {
  const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  if (dir != nullptr) cv::imwrite(absl::StrCat(dir, "/", name, ".png"), image);
}

std::string Describe(const TextBox& t) {
  return absl::StrCat("\"", t.text, "\" at (", t.rect.x, ",", t.rect.y, " ", t.rect.width, "x",
                      t.rect.height, ")");
}

// What every figure must satisfy: no two pieces of text overlap, all text inside the
// image, no point label left out, no legend over a plot, no "-0.00".
void ExpectReadable(const cv::Mat& image, const FigureLayout& layout) {
  for (const auto& [i, j] : OverlappingTexts(layout.texts)) {
    ADD_FAILURE() << "overlap: " << Describe(layout.texts[i]) << " and "
                  << Describe(layout.texts[j]);
  }
  const cv::Rect bounds(0, 0, image.cols, image.rows);
  for (const TextBox& t : layout.texts) {
    EXPECT_EQ(t.rect & bounds, t.rect) << "outside the image: " << Describe(t);
    EXPECT_FALSE(!t.text.empty() && t.text[0] == '-' &&
                 t.text.find_first_not_of("-0.") == std::string::npos)
        << "negative zero: " << Describe(t);
  }
  EXPECT_EQ(layout.dropped_point_labels, 0);
  for (const cv::Rect& legend : layout.legends) {
    for (const cv::Rect& area : layout.plot_areas) {
      EXPECT_EQ((legend & area).area(), 0) << "a legend covers a plot";
    }
  }
}

int Count(const FigureLayout& layout, TextRole role, const std::string& text) {
  int n = 0;
  for (const TextBox& t : layout.texts) n += t.role == role && t.text == text;
  return n;
}

// Point labels naming `setting`, alone or in a label that coinciding points share
// ("0, 1e-5").
int PointLabelsNaming(const FigureLayout& layout, const std::string& setting) {
  int n = 0;
  for (const TextBox& t : layout.texts) {
    if (t.role != TextRole::kPointLabel) continue;
    for (absl::string_view part : absl::StrSplit(t.text, ", ")) n += part == setting;
  }
  return n;
}

void ExpectEveryLambdaNamed(const FigureLayout& layout, int final_panels) {
  for (const char* setting : kSettings) {
    EXPECT_EQ(PointLabelsNaming(layout, setting), final_panels) << setting;
    EXPECT_EQ(Count(layout, TextRole::kLegend, absl::StrCat("lambda = ", setting)), 1) << setting;
  }
}

// Real runs: entropies and accuracies within a few percent of each other.
TEST(EntropyFigureTest, CloseFinalModelsGetSeparateLabels) {
  const EntropyFigureData data =
      Synthetic({1.512, 1.518, 1.509, 1.531, 1.566, 1.604}, {61.8, 62.1, 62.4, 62.0, 63.1, 62.6},
                /*seeds=*/3, /*with_pxap=*/true);
  FigureLayout layout;
  const cv::Mat image = RenderEntropyFigure(data, &layout);
  Keep(image, "entropy_close");
  ExpectReadable(image, layout);
  // 3 metrics x {test, training entropy}, 2 per-epoch panels; one legend beside them.
  EXPECT_EQ(layout.plot_areas.size(), 8u);
  EXPECT_EQ(layout.legends.size(), 1u);
  ExpectEveryLambdaNamed(layout, 6);
  // A grid, not a strip: text stays readable when the figure is fitted to a page.
  EXPECT_LT(static_cast<double>(image.cols) / image.rows, 1.6);
  EXPECT_GT(static_cast<double>(image.cols) / image.rows, 0.8);
  // Every axis says what it measures.
  for (const char* axis : {"test MaxBoxAccV2 (%)", "test PxAP (%)", "test Top-1 Cls (%)",
                           "mean entropy of test predictions (nats)", "val. MaxBoxAccV2 (%)",
                           "val. mean entropy (nats)", "epoch"}) {
    EXPECT_GE(Count(layout, TextRole::kAxisLabel, axis), 1) << axis;
  }
}

// Five lambdas that change nothing (their markers touch) and one that does.
TEST(EntropyFigureTest, CoincidingPointsStillGetEveryLabel) {
  const EntropyFigureData data = Synthetic({1.5000, 1.5004, 1.4998, 1.5003, 1.5010, 1.72},
                                           {62.00, 62.03, 61.98, 62.05, 62.02, 58.4},
                                           /*seeds=*/3, /*with_pxap=*/true);
  FigureLayout layout;
  const cv::Mat image = RenderEntropyFigure(data, &layout);
  Keep(image, "entropy_coinciding");
  ExpectReadable(image, layout);
  ExpectEveryLambdaNamed(layout, 6);
}

// The paper profile: one seed, boxes only (no PxAP).
TEST(EntropyFigureTest, OneSeedWithoutPxapLeavesThePanelOut) {
  const EntropyFigureData data =
      Synthetic({2.01, 2.03, 2.02, 2.08, 2.21, 2.60}, {64.2, 64.9, 65.3, 66.0, 63.7, 59.1},
                /*seeds=*/1, /*with_pxap=*/false);
  FigureLayout layout;
  const cv::Mat image = RenderEntropyFigure(data, &layout);
  Keep(image, "entropy_one_seed");
  ExpectReadable(image, layout);
  EXPECT_EQ(layout.plot_areas.size(), 6u);
  ExpectEveryLambdaNamed(layout, 4);
  EXPECT_EQ(Count(layout, TextRole::kAxisLabel, "test PxAP (%)"), 0);
}

TEST(ClassNameTest, FmnistLocIndicesAreFashionMnistNames) {
  EXPECT_EQ(ClassName("FMNIST_LOC", 0), "T-shirt/top");
  EXPECT_EQ(ClassName("FMNIST_LOC", 1), "Trouser");
  EXPECT_EQ(ClassName("FMNIST_LOC", 5), "Sandal");
  EXPECT_EQ(ClassName("FMNIST_LOC", 9), "Ankle boot");
  EXPECT_EQ(ClassName("FMNIST_LOC", 10), "class 10");
  EXPECT_EQ(ClassName("FMNIST_LOC", -1), "class -1");
}

TEST(ClassNameTest, OtherDataSetsUseTheirNamesOrTheNumber) {
  EXPECT_EQ(ClassName("CUB", 3), "class 3");
  EXPECT_EQ(ClassName("CUB", 1, {"001.Black_footed_Albatross", "002.Laysan_Albatross"}),
            "002.Laysan_Albatross");
  EXPECT_EQ(ClassName("CUB", 2, {"a", "b"}), "class 2");
}

train::ImageExplanation Explained(int index, int label, int predicted, double iou) {
  train::ImageExplanation e;
  e.image_id = absl::StrCat("test/", label, "/", index, ".png");
  e.label = label;
  e.predicted = predicted;
  e.image_bgr = cv::Mat(64, 64, CV_8UC3, cv::Scalar(40 + 20 * index, 90, 140));
  e.cam = cv::Mat(64, 64, CV_32F);
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) {
      e.cam.at<float>(y, x) =
          static_cast<float>(std::exp(-((x - 30) * (x - 30) + (y - 34) * (y - 34)) / 200.0));
    }
  }
  e.gt_boxes = {{.x0 = 18, .y0 = 20, .x1 = 44, .y1 = 50}};
  e.predicted_box = {.x0 = 22, .y0 = 24, .x1 = 40, .y1 = 46};
  e.iou = iou;
  return e;
}

TEST(QualitativeFigureTest, NamesClassesShowsSigmaAndAColourBar) {
  QualitativeFigureData data{.title = "Qualitative results: box, CAM and overlay, baseline vs ER",
                             .dataset_name = "FMNIST_LOC",
                             .baseline_label = "CAM",
                             .er_label = "CAM + ER",
                             .baseline_sigma = 0.15,
                             .er_sigma = 0.15,
                             .worst_row = 5};
  const int labels[] = {0, 9, 3, 5, 7, 6};
  for (int r = 0; r < 6; ++r) {
    data.baseline.push_back(Explained(r, labels[r], r == 2 ? 6 : labels[r], 0.41 + 0.05 * r));
    data.er.push_back(Explained(r, labels[r], labels[r], r == 5 ? 0.0 : 0.52 + 0.05 * r));
  }
  FigureLayout layout;
  const cv::Mat image = RenderQualitativeFigure(data, &layout);
  Keep(image, "qualitative");
  ExpectReadable(image, layout);
  bool tshirt = false, ankle_boot = false, sigma_heading = false, sigma_mark = false;
  int bar_ticks = 0;
  for (const TextBox& t : layout.texts) {
    tshirt = tshirt || absl::StrContains(t.text, "true class: T-shirt/top");
    ankle_boot = ankle_boot || absl::StrContains(t.text, "Ankle boot");
    sigma_heading = sigma_heading || t.text == "CAM + ER  (sigma = 0.15)";
    sigma_mark = sigma_mark || t.text == "sigma = 0.15";
    bar_ticks += t.role == TextRole::kTickLabel;
    EXPECT_FALSE(absl::StrContains(t.text, "class 0")) << t.text;
    EXPECT_FALSE(absl::StrContains(t.text, "->")) << t.text;
  }
  EXPECT_TRUE(tshirt);
  EXPECT_TRUE(ankle_boot);
  EXPECT_TRUE(sigma_heading);
  EXPECT_TRUE(sigma_mark);
  EXPECT_EQ(bar_ticks, 5);  // 0, 0.25, 0.5, 0.75, 1.
  // The IoU of 0 prints as 0.00.
  EXPECT_EQ(Count(layout, TextRole::kCaption, "predicted Dress, IoU 0.00") +
                Count(layout, TextRole::kCaption, "predicted Shirt, IoU 0.00"),
            1);
}

}  // namespace
}  // namespace wsol::tables
