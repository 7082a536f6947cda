#include "paper_tables/lib/plot.h"

#include <filesystem>
#include <string>

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

TEST(PlotTest, HeatMapRunsFromBlueToRed) {
  cv::Mat map(1, 2, CV_32F);
  map.at<float>(0, 0) = 0.0f;
  map.at<float>(0, 1) = 1.0f;
  cv::Mat heat = HeatMap(map);
  const cv::Vec3b cold = heat.at<cv::Vec3b>(0, 0), hot = heat.at<cv::Vec3b>(0, 1);
  EXPECT_GT(cold[0], cold[2]);  // JET: low values are blue...
  EXPECT_GT(hot[2], hot[0]);    // ...high values red.
}

TEST(PlotTest, WritesPngAtomically) {
  const std::string path = ::testing::TempDir() + "/p.png";
  cv::Mat img(10, 20, CV_8UC3, cv::Scalar(1, 2, 3));
  ASSERT_TRUE(WritePng(path, WithCaption(img, "caption")));
  cv::Mat back = cv::imread(path);
  EXPECT_EQ(back.cols, 20);
  EXPECT_EQ(back.rows, 10 + 22);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp.png"));
}

}  // namespace
}  // namespace wsol::tables
