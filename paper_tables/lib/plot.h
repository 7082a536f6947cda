// plot.h
//
// PNG figures drawn with OpenCV: line/scatter plots with axes, ticks, units and a
// legend; heat maps of CAMs with their colour bar; image strips and labelled grids.
// Every function that draws text can report where it went (TextBox), so tests check that
// no two pieces of text overlap.
//
//   Plot plot{.title = "Entropy vs localization", .x_label = "mean entropy (nats)",
//             .y_label = "MaxBoxAccV2 (%)"};
//   plot.series.push_back({.name = "ER", .x = {...}, .y = {...}});
//   PlotLayout layout;
//   cv::Mat image = RenderPlot(plot, &layout);
//   EXPECT_TRUE(OverlappingTexts(layout.texts).empty());
#ifndef PAPER_TABLES_LIB_PLOT_H_
#define PAPER_TABLES_LIB_PLOT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "opencv2/core.hpp"

namespace wsol::tables {

// `value` with `decimals` digits after the point; a value that rounds to zero prints
// without a sign ("0.00", never "-0.00").
std::string FormatNumber(double value, int decimals);

// What a piece of drawn text is.
enum class TextRole { kTitle, kAxisLabel, kTickLabel, kPointLabel, kLegend, kCaption };

// The pixels a piece of text covers (its ink box, one pixel of margin included).
struct TextBox {
  cv::Rect rect;
  std::string text;
  TextRole role = TextRole::kCaption;
};

// Index pairs (i < j) of the boxes in `texts` that overlap.
std::vector<std::pair<int, int>> OverlappingTexts(const std::vector<TextBox>& texts);

// The same boxes moved by `offset` (for an image placed inside a larger one).
std::vector<TextBox> Shifted(const std::vector<TextBox>& texts, cv::Point offset);

// Draws `text` with its baseline starting at `origin` (Hershey simplex; symbols such as
// "±" and "λ" are spelled out in ASCII) and returns where it went.
TextBox DrawText(cv::Mat& image, const std::string& text, cv::Point origin, double scale,
                 TextRole role, cv::Scalar color = {0, 0, 0}, int thickness = 1);

// The size of the box DrawText would fill.
cv::Size TextExtent(const std::string& text, double scale, int thickness = 1);

// `text` broken at spaces into lines no wider than `max_width` at `scale` (a word wider
// than that gets a line of its own).
std::vector<std::string> WrapText(const std::string& text, double scale, int max_width);

// A white band `width` pixels wide with `lines` (text, font scale) one under the other,
// each wrapped to fit; the first line is a kTitle, the others kCaption.
cv::Mat TextBand(int width, const std::vector<std::pair<std::string, double>>& lines,
                 std::vector<TextBox>* texts = nullptr);

// The colour of palette entry `index` (ten colours, repeating), BGR.
cv::Scalar PaletteColor(int index);

struct Series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
  bool lines = true;  // Connect the points in order.
  bool markers = true;
  std::vector<std::string> point_labels;  // Optional text next to each point.
  // Optional error bars: +- x_err[i] horizontally and +- y_err[i] vertically (e.g. the
  // standard deviation over seeds); empty or 0 for none.
  std::vector<double> x_err;
  std::vector<double> y_err;
  // Palette entry of the series; -1: its index in the plot. Ignored when `gray`.
  int color_index = -1;
  bool gray = false;  // A light gray guide line (e.g. a path through the points).
  int line_width = 2;
  bool error_band = false;  // Draw y_err as a shaded band, not as bars (long curves).
  bool in_legend = true;
};

struct Plot {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<Series> series;
  int width = 720;
  int height = 480;
  // The legend sits right of the axes, outside them, so it hides no data; kNone for a
  // plot whose series a caption or a shared legend names.
  enum class Legend { kRight, kNone };
  Legend legend = Legend::kRight;
  std::string legend_title;
  double text_scale = 1.0;  // Multiplies every font size.
  bool x_integers = false;  // x ticks at whole numbers only (epochs, counts).
};

// Where RenderPlot put things, in image pixels.
struct PlotLayout {
  cv::Rect area;                 // The axes.
  cv::Rect legend;               // Empty when there is none.
  std::vector<TextBox> texts;    // Title, axis labels, tick labels, legend, point labels.
  int dropped_point_labels = 0;  // Point labels that found no free place.
};

// Renders the plot as a BGR image. Point labels are placed where they overlap no other
// text, marker or legend (next to their point, or further out with a leader line); points
// whose markers coincide share one label ("0, 1e-5"); a label with no free place is left
// out and counted in layout->dropped_point_labels.
cv::Mat RenderPlot(const Plot& plot, PlotLayout* layout = nullptr);

// Only the legend of `plot` (its series' names and line styles), as an image of `size`.
cv::Mat RenderLegend(const Plot& plot, cv::Size size, PlotLayout* layout = nullptr);

// Places plots side by side in one image.
cv::Mat HorizontalConcat(const std::vector<cv::Mat>& images, int gap = 8);
cv::Mat VerticalConcat(const std::vector<cv::Mat>& images, int gap = 8);

// A [0,1] float map (CV_32F) as a JET heat map (BGR, CV_8UC3).
cv::Mat HeatMap(const cv::Mat& map01);

// HeatMap's colour scale from 0 to 1 as a horizontal bar `width` pixels wide, with ticks
// at 0, 0.25, ..., 1, `label` under it, and a black mark with its text at each of `marks`
// (value in [0, 1], text; e.g. the CAM threshold sigma).
cv::Mat ColorBar(int width, const std::string& label,
                 const std::vector<std::pair<double, std::string>>& marks = {},
                 std::vector<TextBox>* texts = nullptr);

// alpha-blend of an image and a heat map of the same size.
cv::Mat Overlay(const cv::Mat& image_bgr, const cv::Mat& heat_bgr, double alpha = 0.5);

// Adds a caption band above an image.
cv::Mat WithCaption(const cv::Mat& image, const std::string& caption, int band = 22,
                    std::vector<TextBox>* texts = nullptr);

// Writes a PNG through wsol/util/file_io's one writer: atomically, never over a device,
// FIFO or folder (a link is followed); errors name the file.
absl::Status WritePng(const std::string& path, const cv::Mat& image);

}  // namespace wsol::tables

#endif  // PAPER_TABLES_LIB_PLOT_H_
