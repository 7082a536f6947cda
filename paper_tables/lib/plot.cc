#include "paper_tables/lib/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace wsol::tables {
namespace {

const cv::Scalar kPalette[] = {{180, 119, 31},  {14, 127, 255}, {44, 160, 44},  {40, 39, 214},
                               {189, 103, 148}, {75, 86, 140},  {194, 119, 227}, {127, 127, 127},
                               {34, 189, 188},  {207, 190, 23}};
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

// "Nice" tick step: 1, 2 or 5 times a power of ten, about `count` ticks over the span.
double TickStep(double span, int count) {
  const double raw = span / std::max(count, 1);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * power) return m * power;
  }
  return 10 * power;
}

// OpenCV's Hershey fonts draw ASCII only: the symbols labels use are spelled out, and
// any other non-ASCII character becomes '?' (not one '?' per byte).
std::string Drawable(const std::string& text) {
  std::string ascii = absl::StrReplaceAll(
      text, {{"\xC2\xB1", "+/-"}, {"\xE2\x88\x92", "-"}, {"\xCE\x94", "d"},
             {"\xCE\xBB", "lambda"}});
  std::string out;
  for (size_t i = 0; i < ascii.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(ascii[i]);
    if (c < 0x80) {
      out += ascii[i];
    } else if ((c & 0xC0) != 0x80) {
      out += '?';  // The first byte of a UTF-8 sequence; continuation bytes are dropped.
    }
  }
  return out;
}

void Text(cv::Mat& img, const std::string& text, cv::Point at, double scale = 0.45,
          cv::Scalar color = {0, 0, 0}, int thickness = 1) {
  cv::putText(img, Drawable(text), at, kFont, scale, color, thickness, cv::LINE_AA);
}

cv::Size TextSize(const std::string& text, double scale = 0.45, int thickness = 1) {
  int baseline = 0;
  return cv::getTextSize(Drawable(text), kFont, scale, thickness, &baseline);
}

}  // namespace

cv::Mat RenderPlot(const Plot& plot) {
  cv::Mat img(plot.height, plot.width, CV_8UC3, cv::Scalar(255, 255, 255));
  const int left = 70, right = 20, top = 40, bottom = 55;
  const cv::Rect area(left, top, plot.width - left - right, plot.height - top - bottom);
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  auto err = [](const std::vector<double>& e, size_t i) {
    return i < e.size() && std::isfinite(e[i]) ? std::abs(e[i]) : 0.0;
  };
  for (const Series& s : plot.series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i] - err(s.x_err, i));
      x1 = std::max(x1, s.x[i] + err(s.x_err, i));
      y0 = std::min(y0, s.y[i] - err(s.y_err, i));
      y1 = std::max(y1, s.y[i] + err(s.y_err, i));
    }
  }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 - x0 < 1e-12) x0 -= 0.5, x1 += 0.5;
  if (y1 - y0 < 1e-12) y0 -= 0.5, y1 += 0.5;
  const double xpad = 0.05 * (x1 - x0), ypad = 0.08 * (y1 - y0);
  x0 -= xpad, x1 += xpad, y0 -= ypad, y1 += ypad;
  auto px = [&](double x, double y) {
    return cv::Point(static_cast<int>(area.x + (x - x0) / (x1 - x0) * area.width),
                     static_cast<int>(area.y + area.height - (y - y0) / (y1 - y0) * area.height));
  };
  // Grid, ticks and tick labels.
  const double xs = TickStep(x1 - x0, 6), ys = TickStep(y1 - y0, 6);
  for (double t = std::ceil(x0 / xs) * xs; t <= x1; t += xs) {
    const cv::Point p = px(t, y0);
    cv::line(img, {p.x, area.y}, {p.x, area.y + area.height}, {235, 235, 235});
    const std::string label = absl::StrFormat("%g", std::abs(t) < xs * 1e-6 ? 0.0 : t);
    Text(img, label, {p.x - TextSize(label).width / 2, area.y + area.height + 18});
  }
  for (double t = std::ceil(y0 / ys) * ys; t <= y1; t += ys) {
    const cv::Point p = px(x0, t);
    cv::line(img, {area.x, p.y}, {area.x + area.width, p.y}, {235, 235, 235});
    const std::string label = absl::StrFormat("%g", std::abs(t) < ys * 1e-6 ? 0.0 : t);
    Text(img, label, {area.x - 8 - TextSize(label).width, p.y + 5});
  }
  cv::rectangle(img, area, {0, 0, 0}, 1);
  // Axis titles and plot title.
  Text(img, plot.x_label,
       {area.x + area.width / 2 - TextSize(plot.x_label, 0.5).width / 2, plot.height - 12}, 0.5);
  if (!plot.y_label.empty()) {
    cv::Size size = TextSize(plot.y_label, 0.5);
    cv::Mat label(size.height + 8, size.width + 4, CV_8UC3, cv::Scalar(255, 255, 255));
    Text(label, plot.y_label, {2, size.height + 2}, 0.5);
    cv::Mat rotated;
    cv::rotate(label, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
    const int y = std::max(0, area.y + area.height / 2 - rotated.rows / 2);
    const int h = std::min(rotated.rows, img.rows - y);
    rotated(cv::Rect(0, 0, rotated.cols, h)).copyTo(img(cv::Rect(4, y, rotated.cols, h)));
  }
  Text(img, plot.title, {area.x, 24}, 0.6, {0, 0, 0}, 1);
  // Series.
  for (size_t s = 0; s < plot.series.size(); ++s) {
    const Series& series = plot.series[s];
    const cv::Scalar color = kPalette[s % 10];
    std::vector<cv::Point> points;
    for (size_t i = 0; i < series.x.size() && i < series.y.size(); ++i) {
      if (std::isfinite(series.x[i]) && std::isfinite(series.y[i])) {
        points.push_back(px(series.x[i], series.y[i]));
        if (i < series.point_labels.size()) {
          Text(img, series.point_labels[i], points.back() + cv::Point(6, -6), 0.38, color);
        }
      }
    }
    if (series.lines && points.size() > 1) {
      cv::polylines(img, points, false, color, 2, cv::LINE_AA);
    }
    for (size_t i = 0; i < series.x.size() && i < series.y.size(); ++i) {
      if (!std::isfinite(series.x[i]) || !std::isfinite(series.y[i])) continue;
      const double ex = err(series.x_err, i), ey = err(series.y_err, i);
      if (ey > 0) {
        const cv::Point a = px(series.x[i], series.y[i] - ey), b = px(series.x[i], series.y[i] + ey);
        cv::line(img, a, b, color, 1, cv::LINE_AA);
        cv::line(img, a - cv::Point(4, 0), a + cv::Point(4, 0), color, 1, cv::LINE_AA);
        cv::line(img, b - cv::Point(4, 0), b + cv::Point(4, 0), color, 1, cv::LINE_AA);
      }
      if (ex > 0) {
        const cv::Point a = px(series.x[i] - ex, series.y[i]), b = px(series.x[i] + ex, series.y[i]);
        cv::line(img, a, b, color, 1, cv::LINE_AA);
        cv::line(img, a - cv::Point(0, 4), a + cv::Point(0, 4), color, 1, cv::LINE_AA);
        cv::line(img, b - cv::Point(0, 4), b + cv::Point(0, 4), color, 1, cv::LINE_AA);
      }
    }
    if (series.markers) {
      for (const cv::Point& p : points) cv::circle(img, p, 4, color, cv::FILLED, cv::LINE_AA);
    }
  }
  // Legend inside the axes, at the corner or side middle (top right first) that hides the
  // least data: the fewest points and line samples under it.
  int legend_width = 0;
  for (const Series& s : plot.series) legend_width = std::max(legend_width, TextSize(s.name).width);
  if (!plot.series.empty()) {
    const int box_w = legend_width + 42, box_h = 18 * static_cast<int>(plot.series.size()) + 6;
    const cv::Point corners[] = {
        {area.x + area.width - box_w - 2, area.y + 4},
        {area.x + 8, area.y + 4},
        {area.x + area.width - box_w - 2, area.y + area.height - box_h - 4},
        {area.x + 8, area.y + area.height - box_h - 4},
        {area.x + area.width - box_w - 2, area.y + (area.height - box_h) / 2},
        {area.x + 8, area.y + (area.height - box_h) / 2}};
    int best = 0, best_hidden = std::numeric_limits<int>::max();
    for (int k = 0; k < 6; ++k) {
      const cv::Rect box(corners[k].x, corners[k].y, box_w, box_h);
      int hidden = 0;
      for (const Series& series : plot.series) {
        cv::Point previous;
        bool has_previous = false;
        for (size_t i = 0; i < series.x.size() && i < series.y.size(); ++i) {
          if (!std::isfinite(series.x[i]) || !std::isfinite(series.y[i])) continue;
          const cv::Point p = px(series.x[i], series.y[i]);
          hidden += box.contains(p) ? 10 : 0;
          if (has_previous && series.lines) {
            for (int t = 1; t < 20; ++t) hidden += box.contains(previous + (p - previous) * t / 20);
          }
          previous = p;
          has_previous = true;
        }
      }
      if (hidden < best_hidden) best = k, best_hidden = hidden;
    }
    const int lx = corners[best].x + 6, ly = corners[best].y + 4;
    cv::rectangle(img, cv::Rect(lx - 6, ly - 4, legend_width + 42, 18 * plot.series.size() + 6),
                  {255, 255, 255}, cv::FILLED);
    cv::rectangle(img, cv::Rect(lx - 6, ly - 4, legend_width + 42, 18 * plot.series.size() + 6),
                  {160, 160, 160}, 1);
    for (size_t s = 0; s < plot.series.size(); ++s) {
      const int y = ly + 10 + 18 * static_cast<int>(s);
      cv::line(img, {lx, y}, {lx + 22, y}, kPalette[s % 10], 2, cv::LINE_AA);
      cv::circle(img, {lx + 11, y}, 3, kPalette[s % 10], cv::FILLED);
      Text(img, plot.series[s].name, {lx + 28, y + 5});
    }
  }
  return img;
}

cv::Mat HorizontalConcat(const std::vector<cv::Mat>& images, int gap) {
  int width = 0, height = 0;
  for (const cv::Mat& m : images) width += m.cols + gap, height = std::max(height, m.rows);
  cv::Mat out(height, std::max(0, width - gap), CV_8UC3, cv::Scalar(255, 255, 255));
  int x = 0;
  for (const cv::Mat& m : images) {
    m.copyTo(out(cv::Rect(x, 0, m.cols, m.rows)));
    x += m.cols + gap;
  }
  return out;
}

cv::Mat VerticalConcat(const std::vector<cv::Mat>& images, int gap) {
  int width = 0, height = 0;
  for (const cv::Mat& m : images) height += m.rows + gap, width = std::max(width, m.cols);
  cv::Mat out(std::max(0, height - gap), width, CV_8UC3, cv::Scalar(255, 255, 255));
  int y = 0;
  for (const cv::Mat& m : images) {
    m.copyTo(out(cv::Rect(0, y, m.cols, m.rows)));
    y += m.rows + gap;
  }
  return out;
}

cv::Mat HeatMap(const cv::Mat& map01) {
  cv::Mat bytes;
  map01.convertTo(bytes, CV_8U, 255.0);
  cv::Mat heat;
  cv::applyColorMap(bytes, heat, cv::COLORMAP_JET);
  return heat;
}

cv::Mat Overlay(const cv::Mat& image_bgr, const cv::Mat& heat_bgr, double alpha) {
  cv::Mat out;
  cv::addWeighted(image_bgr, 1.0 - alpha, heat_bgr, alpha, 0.0, out);
  return out;
}

cv::Mat WithCaption(const cv::Mat& image, const std::string& caption, int band) {
  cv::Mat out(image.rows + band, image.cols, CV_8UC3, cv::Scalar(255, 255, 255));
  image.copyTo(out(cv::Rect(0, band, image.cols, image.rows)));
  Text(out, caption, {3, band - 7}, 0.42);
  return out;
}

bool WritePng(const std::string& path, const cv::Mat& image) {
  const std::string tmp = path + ".tmp.png";
  if (!cv::imwrite(tmp, image)) return false;
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace wsol::tables
