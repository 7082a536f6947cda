// plot.h
//
// PNG figures drawn with OpenCV: line/scatter plots with axes, ticks, units and a
// legend; heat maps of CAMs; image strips and labelled grids.
//
//   Plot plot{.title = "Entropy vs localization", .x_label = "mean entropy (nats)",
//             .y_label = "MaxBoxAccV2 (%)"};
//   plot.series.push_back({.name = "ER", .x = {...}, .y = {...}});
//   cv::imwrite("figure.png", RenderPlot(plot));
#ifndef PAPER_TABLES_LIB_PLOT_H_
#define PAPER_TABLES_LIB_PLOT_H_

#include <string>
#include <vector>

#include "opencv2/core.hpp"

namespace wsol::tables {

struct Series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
  bool lines = true;     // Connect the points in order.
  bool markers = true;
  std::vector<std::string> point_labels;  // Optional text next to each point.
  // Optional error bars: +- x_err[i] horizontally and +- y_err[i] vertically (e.g. the
  // standard deviation over seeds); empty or 0 for none.
  std::vector<double> x_err;
  std::vector<double> y_err;
};

struct Plot {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<Series> series;
  int width = 720;
  int height = 480;
};

// Renders the plot as a BGR image.
cv::Mat RenderPlot(const Plot& plot);

// Places plots side by side in one image.
cv::Mat HorizontalConcat(const std::vector<cv::Mat>& images, int gap = 8);
cv::Mat VerticalConcat(const std::vector<cv::Mat>& images, int gap = 8);

// A [0,1] float map (CV_32F) as a JET heat map (BGR, CV_8UC3).
cv::Mat HeatMap(const cv::Mat& map01);

// alpha-blend of an image and a heat map of the same size.
cv::Mat Overlay(const cv::Mat& image_bgr, const cv::Mat& heat_bgr, double alpha = 0.5);

// Adds a caption band above an image.
cv::Mat WithCaption(const cv::Mat& image, const std::string& caption, int band = 22);

// Writes a PNG atomically (temporary file, then rename); false on failure.
bool WritePng(const std::string& path, const cv::Mat& image);

}  // namespace wsol::tables

#endif  // PAPER_TABLES_LIB_PLOT_H_
