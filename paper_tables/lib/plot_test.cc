#include "paper_tables/lib/plot.h"

#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"

namespace wsol::tables {
namespace {

TEST(PlotTest, DrawsSeriesInTheirColorsInsideTheImage) {
  Plot plot{.title = "t", .x_label = "x", .y_label = "y", .width = 400, .height = 300};
  plot.series.push_back({.name = "a", .x = {0, 1, 2}, .y = {0, 1, 4}});
  cv::Mat img = RenderPlot(plot);
  ASSERT_EQ(img.size(), cv::Size(400, 300));
  // The first series is drawn in the first palette color (BGR 180,119,31).
  cv::Mat mask;
  cv::inRange(img, cv::Scalar(175, 114, 26), cv::Scalar(185, 124, 36), mask);
  EXPECT_GT(cv::countNonZero(mask), 50);
}

// The Hershey fonts draw ASCII only: "±" is drawn as "+/-" (it once came out as "??").
TEST(PlotTest, SymbolsAreSpelledOutInAscii) {
  const auto render = [](const std::string& title) {
    Plot plot{.title = title, .x_label = "x", .y_label = "y", .width = 400, .height = 300};
    plot.series.push_back({.name = "a", .x = {0, 1}, .y = {0, 1}});
    return RenderPlot(plot);
  };
  EXPECT_EQ(cv::norm(render("mean \xC2\xB1 std"), render("mean +/- std"), cv::NORM_INF), 0.0);
  EXPECT_GT(cv::norm(render("mean \xC2\xB1 std"), render("mean ?? std"), cv::NORM_INF), 0.0);
}

TEST(FormatNumberTest, ZeroHasNoSign) {
  EXPECT_EQ(FormatNumber(-0.0, 2), "0.00");
  EXPECT_EQ(FormatNumber(-0.0001, 2), "0.00");
  EXPECT_EQ(FormatNumber(-0.004, 2), "0.00");
  EXPECT_EQ(FormatNumber(-1e-17, 0), "0");
  EXPECT_EQ(FormatNumber(0.0, 3), "0.000");
  EXPECT_EQ(FormatNumber(-1.5, 2), "-1.50");
  EXPECT_EQ(FormatNumber(-0.25, 2), "-0.25");
  EXPECT_EQ(FormatNumber(2.25, 1), "2.2");  // Round half to even, as printf does.
}

bool IsNegativeZero(const std::string& text) {
  return !text.empty() && text[0] == '-' && text.find_first_not_of("-0.") == std::string::npos;
}

// Ticks across zero: the one at zero has no sign, whatever rounding brought it there.
TEST(PlotTest, TickAtZeroPrintsWithoutSign) {
  Plot plot{.title = "t", .x_label = "x", .y_label = "y", .width = 500, .height = 360};
  plot.series.push_back({.name = "a", .x = {-0.3, 0.1, 0.3}, .y = {-0.29, 0.0, 0.31}});
  PlotLayout layout;
  RenderPlot(plot, &layout);
  int zeros = 0;
  for (const TextBox& t : layout.texts) {
    EXPECT_FALSE(IsNegativeZero(t.text)) << t.text;
    zeros += t.role == TextRole::kTickLabel && t.text.find_first_not_of("0.") == std::string::npos;
  }
  EXPECT_EQ(zeros, 2);  // One on each axis.
}

// Six points within half a percent of each other, each with a label, and a legend: no
// two pieces of text overlap, no label is left out, the legend is outside the axes.
TEST(PlotTest, LabelsOfClosePointsDoNotOverlap) {
  Plot plot{.title = "Final models (test split; mean +/- std over seeds)",
            .x_label = "mean entropy of test predictions (nats)",
            .y_label = "MaxBoxAccV2 (%)",
            .width = 560,
            .height = 400};
  Series s{.name = "MaxBoxAccV2",
           .x = {1.500, 1.502, 1.501, 1.503, 1.504, 1.5035},
           .y = {62.00, 62.10, 62.05, 62.20, 61.90, 62.15},
           .point_labels = {"0", "1e-5", "1e-4", "1e-3", "1e-2", "1e-1"},
           .x_err = {0.001, 0.001, 0.001, 0.001, 0.001, 0.001},
           .y_err = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1}};
  plot.series.push_back(s);
  plot.series.push_back({.name = "a second series", .x = {1.500, 1.504}, .y = {61.95, 62.2}});
  PlotLayout layout;
  cv::Mat img = RenderPlot(plot, &layout);
  for (const auto& [i, j] : OverlappingTexts(layout.texts)) {
    ADD_FAILURE() << "\"" << layout.texts[i].text << "\" overlaps \"" << layout.texts[j].text
                  << "\"";
  }
  EXPECT_EQ(layout.dropped_point_labels, 0);
  int labels = 0;
  for (const TextBox& t : layout.texts) {
    labels += t.role == TextRole::kPointLabel;
    EXPECT_EQ(t.rect & cv::Rect(0, 0, img.cols, img.rows), t.rect) << t.text;
  }
  EXPECT_EQ(labels, 6);
  ASSERT_GT(layout.legend.area(), 0);
  EXPECT_EQ((layout.legend & layout.area).area(), 0);
}

// A title wider than the plot is wrapped onto lines that stay inside the image.
TEST(PlotTest, LongTitleWraps) {
  Plot plot{.title = "A title much longer than the plot is wide, so that it needs two lines",
            .x_label = "x",
            .y_label = "y",
            .width = 300,
            .height = 300};
  plot.series.push_back({.name = "a", .x = {0, 1}, .y = {0, 1}});
  PlotLayout layout;
  cv::Mat img = RenderPlot(plot, &layout);
  int title_lines = 0;
  for (const TextBox& t : layout.texts) {
    title_lines += t.role == TextRole::kTitle;
    EXPECT_EQ(t.rect & cv::Rect(0, 0, img.cols, img.rows), t.rect) << t.text;
  }
  EXPECT_GE(title_lines, 2);
  EXPECT_TRUE(OverlappingTexts(layout.texts).empty());
}

// Epoch axes: whole numbers only, even for a one-epoch run.
TEST(PlotTest, IntegerAxisHasNoFractionalTicks) {
  Plot plot{.x_label = "epoch", .y_label = "y", .width = 400, .height = 300, .x_integers = true};
  plot.series.push_back({.name = "a", .x = {1}, .y = {2.5}});
  PlotLayout layout;
  RenderPlot(plot, &layout);
  int ticks = 0;
  for (const TextBox& t : layout.texts) {
    if (t.role != TextRole::kTickLabel || t.rect.y < layout.area.y + layout.area.height) continue;
    ++ticks;
    EXPECT_EQ(t.text.find('.'), std::string::npos) << t.text;
  }
  EXPECT_EQ(ticks, 1);  // The range is 0.5 to 1.5.
}

TEST(PlotTest, ColorBarRunsFromBlueToRedWithItsMarks) {
  std::vector<TextBox> texts;
  cv::Mat bar = ColorBar(400, "CAM value", {{0.15, "sigma = 0.15"}, {0.2, "sigma = 0.20"}}, &texts);
  EXPECT_EQ(bar.cols, 400);
  EXPECT_TRUE(OverlappingTexts(texts).empty());
  int marks = 0;
  for (const TextBox& t : texts) marks += absl::StartsWith(t.text, "sigma = ");
  EXPECT_EQ(marks, 2);
  // Somewhere in the bar: blue on the left, red on the right.
  bool blue = false, red = false;
  for (int y = 0; y < bar.rows; ++y) {
    const cv::Vec3b left = bar.at<cv::Vec3b>(y, 40), right = bar.at<cv::Vec3b>(y, 360);
    blue = blue || (left[0] > 120 && left[1] < 40 && left[2] < 40);
    red = red || (right[2] > 120 && right[1] < 40 && right[0] < 40);
  }
  EXPECT_TRUE(blue);
  EXPECT_TRUE(red);
}

TEST(PlotTest, HeatMapRunsFromBlueToRed) {
  cv::Mat map(1, 2, CV_32F);
  map.at<float>(0, 0) = 0.0f;
  map.at<float>(0, 1) = 1.0f;
  cv::Mat heat = HeatMap(map);
  const cv::Vec3b cold = heat.at<cv::Vec3b>(0, 0), hot = heat.at<cv::Vec3b>(0, 1);
  EXPECT_GT(cold[0], cold[2]);  // JET: low values are blue...
  EXPECT_GT(hot[2], hot[0]);    // ...high values red.
}

// A figure path that is a link to /dev/null is refused, not replaced by a regular file
// (the old writer renamed its temporary over the link).
TEST(PlotTest, AFigureNeverReplacesADevice) {
  const std::string link = ::testing::TempDir() + "/null_figure.png";
  std::filesystem::remove(link);
  std::filesystem::create_symlink("/dev/null", link);
  const absl::Status written = WritePng(link, cv::Mat(4, 4, CV_8UC3, cv::Scalar(0, 0, 0)));
  EXPECT_FALSE(written.ok());
  EXPECT_NE(std::string(written.message()).find("is a character device"), std::string::npos)
      << written;
  EXPECT_TRUE(std::filesystem::is_symlink(link));
}

TEST(PlotTest, WritesPngAtomically) {
  const std::string path = ::testing::TempDir() + "/p.png";
  cv::Mat img(10, 20, CV_8UC3, cv::Scalar(1, 2, 3));
  ASSERT_TRUE(WritePng(path, WithCaption(img, "caption")).ok());
  cv::Mat back = cv::imread(path);
  EXPECT_EQ(back.cols, 20);
  EXPECT_EQ(back.rows, 10 + 22);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp.png"));
}

}  // namespace
}  // namespace wsol::tables
