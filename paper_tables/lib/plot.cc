#include "paper_tables/lib/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "wsol/util/file_io.h"

namespace wsol::tables {
namespace {

const cv::Scalar kPalette[] = {{180, 119, 31},  {14, 127, 255}, {44, 160, 44},   {40, 39, 214},
                               {189, 103, 148}, {75, 86, 140},  {194, 119, 227}, {127, 127, 127},
                               {34, 189, 188},  {207, 190, 23}};
const cv::Scalar kGuideGray = {175, 175, 175};
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr int kMarkerRadius = 4;

// OpenCV's Hershey fonts draw ASCII only: the symbols labels use are spelled out, and
// any other non-ASCII character becomes '?' (not one '?' per byte).
std::string Drawable(const std::string& text) {
  std::string ascii = absl::StrReplaceAll(text, {{"\xC2\xB1", "+/-"},
                                                 {"\xE2\x88\x92", "-"},
                                                 {"\xCE\x94", "d"},
                                                 {"\xCE\xBB", "lambda"},
                                                 {"\xCF\x83", "sigma"},
                                                 {"\xCF\x84", "tau"}});
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

// The ink box of ASCII `text` drawn with its baseline at `origin`, one pixel of margin.
cv::Rect InkBox(const std::string& ascii, cv::Point origin, double scale, int thickness) {
  int baseline = 0;
  const cv::Size size = cv::getTextSize(ascii, kFont, scale, thickness, &baseline);
  return cv::Rect(origin.x - 1, origin.y - size.height - 1, size.width + 2,
                  size.height + baseline + 2);
}

// The baseline origin at which `text` fills the box TextExtent gives from `top_left`.
cv::Point OriginFor(const std::string& text, double scale, cv::Point top_left) {
  int baseline = 0;
  const cv::Size ink = cv::getTextSize(Drawable(text), kFont, scale, 1, &baseline);
  return {top_left.x + 1, top_left.y + 1 + ink.height};
}

bool Intersects(const cv::Rect& a, const cv::Rect& b) { return (a & b).area() > 0; }

cv::Rect Inflated(const cv::Rect& r, int by) {
  return cv::Rect(r.x - by, r.y - by, r.width + 2 * by, r.height + 2 * by);
}

// "Nice" tick step: 1, 2 or 5 times a power of ten, about `count` ticks over the span.
double TickStep(double span, int count) {
  const double raw = span / std::max(count, 1);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * power * (1 + 1e-9)) return m * power;
  }
  return 10 * power;
}

// The next nice step above `step`.
double LargerStep(double step) { return TickStep(step * 1.5, 1); }

// Multiples of `step` in [lo, hi], each computed from its index (no accumulated error).
std::vector<double> Ticks(double lo, double hi, double step) {
  std::vector<double> ticks;
  const long first = static_cast<long>(std::ceil(lo / step - 1e-9));
  const long last = static_cast<long>(std::floor(hi / step + 1e-9));
  for (long k = first; k <= last && ticks.size() < 100; ++k) ticks.push_back(k * step);
  return ticks;
}

// Digits after the point that tell multiples of `step` apart.
int DecimalsFor(double step) {
  return std::clamp(static_cast<int>(-std::floor(std::log10(step) + 1e-9)), 0, 8);
}

// WrapText, for the functions above it.
std::vector<std::string> Wrapped(const std::string& text, double scale, int max_width) {
  std::vector<std::string> lines;
  std::string line;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    const std::string candidate = line.empty() ? std::string(word) : line + " " + std::string(word);
    if (!line.empty() && TextExtent(candidate, scale).width > max_width) {
      lines.push_back(line);
      line = std::string(word);
    } else {
      line = candidate;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// The largest scale up to `scale` (and no smaller than 60% of it) at which `text` fits
// in `max_width`.
double FittingScale(const std::string& text, double scale, int max_width) {
  double s = scale;
  while (s > 0.6 * scale && TextExtent(text, s).width > max_width) s *= 0.95;
  return s;
}

cv::Scalar SeriesColor(const Series& series, size_t index) {
  if (series.gray) return kGuideGray;
  return PaletteColor(series.color_index >= 0 ? series.color_index : static_cast<int>(index));
}

// Text colour for a series' labels: its colour, darkened a little for contrast on white.
cv::Scalar LabelColor(const Series& series, size_t index) {
  if (series.gray) return {90, 90, 90};
  const cv::Scalar c = SeriesColor(series, index);
  return {c[0] * 0.8, c[1] * 0.8, c[2] * 0.8};
}

struct Fonts {
  double title, axis, tick, legend, point;
};

Fonts FontsFor(const Plot& plot) {
  const double s = plot.text_scale;
  return {0.6 * s, 0.52 * s, 0.46 * s, 0.46 * s, 0.44 * s};
}

std::vector<size_t> LegendEntries(const Plot& plot) {
  std::vector<size_t> entries;
  for (size_t s = 0; s < plot.series.size(); ++s) {
    if (plot.series[s].in_legend && !plot.series[s].name.empty()) entries.push_back(s);
  }
  return entries;
}

constexpr int kLegendSample = 26;  // Length of the line sample.
constexpr int kLegendPad = 8;

int LegendRowHeight(const Fonts& fonts) { return TextExtent("Ag", fonts.legend).height + 8; }

cv::Size LegendSize(const Plot& plot, const Fonts& fonts) {
  const std::vector<size_t> entries = LegendEntries(plot);
  if (entries.empty()) return {0, 0};
  int width = plot.legend_title.empty() ? 0 : TextExtent(plot.legend_title, fonts.legend).width;
  for (size_t s : entries) {
    width =
        std::max(width, kLegendSample + 6 + TextExtent(plot.series[s].name, fonts.legend).width);
  }
  const int rows = static_cast<int>(entries.size()) + (plot.legend_title.empty() ? 0 : 1);
  return {width + 2 * kLegendPad, rows * LegendRowHeight(fonts) + kLegendPad};
}

// Draws the legend with its top-left corner at `at`; returns its box.
cv::Rect DrawLegend(cv::Mat& img, const Plot& plot, const Fonts& fonts, cv::Point at,
                    std::vector<TextBox>* texts) {
  const cv::Size size = LegendSize(plot, fonts);
  if (size.area() == 0) return {};
  const cv::Rect box(at, size);
  cv::rectangle(img, box, {255, 255, 255}, cv::FILLED);
  cv::rectangle(img, box, {170, 170, 170}, 1);
  const int row = LegendRowHeight(fonts);
  const int ascent = TextExtent("A", fonts.legend).height;
  int y = at.y + kLegendPad / 2;
  if (!plot.legend_title.empty()) {
    texts->push_back(DrawText(img, plot.legend_title, {at.x + kLegendPad, y + (row + ascent) / 2},
                              fonts.legend, TextRole::kLegend));
    y += row;
  }
  for (size_t s : LegendEntries(plot)) {
    const Series& series = plot.series[s];
    const cv::Scalar color = SeriesColor(series, s);
    const int mid = y + row / 2;
    const int x = at.x + kLegendPad;
    if (series.lines) {
      cv::line(img, {x, mid}, {x + kLegendSample, mid}, color, std::max(series.line_width, 2),
               cv::LINE_AA);
    }
    if (series.markers) {
      cv::circle(img, {x + kLegendSample / 2, mid}, kMarkerRadius, color, cv::FILLED, cv::LINE_AA);
    }
    texts->push_back(DrawText(img, series.name, {x + kLegendSample + 6, mid + ascent / 2},
                              fonts.legend, TextRole::kLegend));
    y += row;
  }
  return box;
}

// Points of a segment every ~3 pixels (both ends included).
void SampleSegment(cv::Point a, cv::Point b, std::vector<cv::Point>* out) {
  const int steps = std::max(1, static_cast<int>(cv::norm(b - a) / 3));
  for (int t = 0; t <= steps; ++t) out->push_back(a + (b - a) * t / steps);
}

int CountInside(const cv::Rect& r, const std::vector<cv::Point>& points) {
  int n = 0;
  for (const cv::Point& p : points) n += r.contains(p);
  return n;
}

// The point of `r` nearest to `p`.
cv::Point NearestPoint(const cv::Rect& r, cv::Point p) {
  return {std::clamp(p.x, r.x, r.x + r.width - 1), std::clamp(p.y, r.y, r.y + r.height - 1)};
}

}  // namespace

std::string FormatNumber(double value, int decimals) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  std::string text = absl::StrFormat("%.*f", std::max(decimals, 0), value);
  if (!text.empty() && text[0] == '-' && text.find_first_not_of("-0.") == std::string::npos) {
    text.erase(0, 1);
  }
  return text;
}

std::vector<std::pair<int, int>> OverlappingTexts(const std::vector<TextBox>& texts) {
  std::vector<std::pair<int, int>> pairs;
  for (size_t i = 0; i < texts.size(); ++i) {
    for (size_t j = i + 1; j < texts.size(); ++j) {
      if (Intersects(texts[i].rect, texts[j].rect)) {
        pairs.emplace_back(static_cast<int>(i), static_cast<int>(j));
      }
    }
  }
  return pairs;
}

std::vector<TextBox> Shifted(const std::vector<TextBox>& texts, cv::Point offset) {
  std::vector<TextBox> out = texts;
  for (TextBox& t : out) t.rect += offset;
  return out;
}

TextBox DrawText(cv::Mat& image, const std::string& text, cv::Point origin, double scale,
                 TextRole role, cv::Scalar color, int thickness) {
  const std::string ascii = Drawable(text);
  cv::putText(image, ascii, origin, kFont, scale, color, thickness, cv::LINE_AA);
  return {InkBox(ascii, origin, scale, thickness), ascii, role};
}

cv::Size TextExtent(const std::string& text, double scale, int thickness) {
  return InkBox(Drawable(text), {0, 0}, scale, thickness).size();
}

std::vector<std::string> WrapText(const std::string& text, double scale, int max_width) {
  return Wrapped(text, scale, max_width);
}

cv::Mat TextBand(int width, const std::vector<std::pair<std::string, double>>& lines,
                 std::vector<TextBox>* texts) {
  std::vector<TextBox> drawn;
  std::vector<std::pair<std::string, double>> wrapped;
  std::vector<TextRole> roles;
  int height = 6;
  for (size_t k = 0; k < lines.size(); ++k) {
    for (const std::string& line : Wrapped(lines[k].first, lines[k].second, width - 20)) {
      wrapped.emplace_back(line, lines[k].second);
      roles.push_back(k == 0 ? TextRole::kTitle : TextRole::kCaption);
      height += TextExtent("Ag", lines[k].second).height + 6;
    }
  }
  cv::Mat band(height + 4, width, CV_8UC3, cv::Scalar(255, 255, 255));
  int y = 6;
  for (size_t k = 0; k < wrapped.size(); ++k) {
    drawn.push_back(DrawText(band, wrapped[k].first,
                             OriginFor(wrapped[k].first, wrapped[k].second, {10, y}),
                             wrapped[k].second, roles[k]));
    y += TextExtent("Ag", wrapped[k].second).height + 6;
  }
  if (texts != nullptr) texts->insert(texts->end(), drawn.begin(), drawn.end());
  return band;
}

cv::Scalar PaletteColor(int index) { return kPalette[((index % 10) + 10) % 10]; }

cv::Mat RenderPlot(const Plot& plot, PlotLayout* layout) {
  PlotLayout local;
  PlotLayout& out = layout != nullptr ? *layout : local;
  out = PlotLayout();
  const Fonts fonts = FontsFor(plot);
  cv::Mat img(plot.height, plot.width, CV_8UC3, cv::Scalar(255, 255, 255));

  // Data range, error bars included, padded a little.
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  auto err = [](const std::vector<double>& e, size_t i) {
    return i < e.size() && std::isfinite(e[i]) ? std::abs(e[i]) : 0.0;
  };
  auto finite = [](const Series& s, size_t i) {
    return std::isfinite(s.x[i]) && std::isfinite(s.y[i]);
  };
  for (const Series& s : plot.series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!finite(s, i)) continue;
      x0 = std::min(x0, s.x[i] - err(s.x_err, i));
      x1 = std::max(x1, s.x[i] + err(s.x_err, i));
      y0 = std::min(y0, s.y[i] - err(s.y_err, i));
      y1 = std::max(y1, s.y[i] + err(s.y_err, i));
    }
  }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 - x0 < 1e-12) x0 -= 0.5, x1 += 0.5;
  if (y1 - y0 < 1e-12) y0 -= 0.5, y1 += 0.5;
  const double xpad = 0.08 * (x1 - x0), ypad = 0.1 * (y1 - y0);
  x0 -= xpad, x1 += xpad, y0 -= ypad, y1 += ypad;

  // Margins: title lines on top; y label and tick labels left; tick labels and x label
  // below; the legend (or room for the last tick label) right.
  const int tick_h = TextExtent("0", fonts.tick).height;
  const std::vector<std::string> title_lines =
      plot.title.empty() ? std::vector<std::string>{}
                         : Wrapped(plot.title, fonts.title, plot.width - 16);
  const int title_line_h = TextExtent("Ag", fonts.title).height + 4;
  const int top = 8 + static_cast<int>(title_lines.size()) * title_line_h + tick_h / 2 + 6;
  const double x_label_scale = FittingScale(plot.x_label, fonts.axis, plot.width - 16);
  const int x_label_h = plot.x_label.empty() ? 0 : TextExtent("Ag", x_label_scale).height;
  const int bottom = 6 + tick_h + 8 + x_label_h + 8;
  const cv::Size legend_size =
      plot.legend == Plot::Legend::kRight ? LegendSize(plot, fonts) : cv::Size(0, 0);
  const int area_h = std::max(20, plot.height - top - bottom);
  // y ticks: about one per 45 pixels, further apart if their labels would touch.
  double ys = TickStep(y1 - y0, std::clamp(area_h / 45, 2, 10));
  while (area_h * ys / (y1 - y0) < tick_h + 8) ys = LargerStep(ys);
  const std::vector<double> y_ticks = Ticks(y0, y1, ys);
  std::vector<std::string> y_tick_labels;
  int y_tick_w = 0;
  for (double t : y_ticks) {
    y_tick_labels.push_back(FormatNumber(t, DecimalsFor(ys)));
    y_tick_w = std::max(y_tick_w, TextExtent(y_tick_labels.back(), fonts.tick).width);
  }
  const double y_label_scale =
      plot.y_label.empty() ? fonts.axis : FittingScale(plot.y_label, fonts.axis, area_h);
  const int y_label_w = plot.y_label.empty() ? 0 : TextExtent("Ag", y_label_scale).height;
  const int left = 6 + y_label_w + 8 + y_tick_w + 8;
  // x ticks: about one per 70 pixels, further apart if their labels would touch.
  const int right_guess = legend_size.width > 0 ? legend_size.width + 20 : 24;
  int area_w = std::max(20, plot.width - left - right_guess);
  double xs = TickStep(x1 - x0, std::clamp(area_w / 70, 2, 10));
  if (plot.x_integers) xs = std::max(xs, 1.0);
  std::vector<double> x_ticks;
  std::vector<std::string> x_tick_labels;
  for (;;) {
    x_ticks = Ticks(x0, x1, xs);
    x_tick_labels.clear();
    int widest = 0;
    for (double t : x_ticks) {
      x_tick_labels.push_back(FormatNumber(t, DecimalsFor(xs)));
      widest = std::max(widest, TextExtent(x_tick_labels.back(), fonts.tick).width);
    }
    if (area_w * xs / (x1 - x0) >= widest + 12) break;
    xs = LargerStep(xs);
  }
  // Room for the last tick label's right half.
  if (legend_size.width == 0 && !x_ticks.empty()) {
    const int last_x = left + static_cast<int>((x_ticks.back() - x0) / (x1 - x0) * area_w);
    const int overflow =
        last_x + TextExtent(x_tick_labels.back(), fonts.tick).width / 2 + 4 - plot.width;
    if (overflow > 0) area_w = std::max(20, area_w - overflow);
  }
  const cv::Rect area(left, top, area_w, area_h);
  out.area = area;
  auto px = [&](double x, double y) {
    return cv::Point(
        static_cast<int>(std::lround(area.x + (x - x0) / (x1 - x0) * area.width)),
        static_cast<int>(std::lround(area.y + area.height - (y - y0) / (y1 - y0) * area.height)));
  };

  // Grid, ticks and tick labels.
  for (size_t k = 0; k < y_ticks.size(); ++k) {
    const cv::Point p = px(x0, y_ticks[k]);
    cv::line(img, {area.x, p.y}, {area.x + area.width, p.y}, {235, 235, 235});
    cv::line(img, {area.x - 4, p.y}, {area.x, p.y}, {0, 0, 0});
    const int w = TextExtent(y_tick_labels[k], fonts.tick).width;
    out.texts.push_back(DrawText(img, y_tick_labels[k], {area.x - 7 - w, p.y + tick_h / 2 - 1},
                                 fonts.tick, TextRole::kTickLabel));
  }
  // x tick labels; one that would touch a y tick label at the corner is left out.
  const size_t y_tick_texts = out.texts.size();
  for (size_t k = 0; k < x_ticks.size(); ++k) {
    const cv::Point p = px(x_ticks[k], y0);
    cv::line(img, {p.x, area.y}, {p.x, area.y + area.height}, {235, 235, 235});
    cv::line(img, {p.x, area.y + area.height}, {p.x, area.y + area.height + 4}, {0, 0, 0});
    const int w = TextExtent(x_tick_labels[k], fonts.tick).width;
    const cv::Point origin(p.x - w / 2, area.y + area.height + 6 + tick_h);
    const cv::Rect box = InkBox(Drawable(x_tick_labels[k]), origin, fonts.tick, 1);
    bool clash = false;
    for (size_t t = 0; t < y_tick_texts; ++t) {
      clash = clash || Intersects(Inflated(box, 2), out.texts[t].rect);
    }
    if (clash) continue;
    out.texts.push_back(DrawText(img, x_tick_labels[k], origin, fonts.tick, TextRole::kTickLabel));
  }
  cv::rectangle(img, area, {0, 0, 0}, 1);

  // Axis labels and title.
  if (!plot.x_label.empty()) {
    const int w = TextExtent(plot.x_label, x_label_scale).width;
    const int x = std::clamp(area.x + area.width / 2 - w / 2, 4, std::max(4, plot.width - w - 4));
    out.texts.push_back(
        DrawText(img, plot.x_label, {x, plot.height - 10}, x_label_scale, TextRole::kAxisLabel));
  }
  if (!plot.y_label.empty()) {
    const cv::Size size = TextExtent(plot.y_label, y_label_scale);
    cv::Mat label(size.height, size.width, CV_8UC3, cv::Scalar(255, 255, 255));
    const TextBox drawn =
        DrawText(label, plot.y_label, OriginFor(plot.y_label, y_label_scale, {0, 0}), y_label_scale,
                 TextRole::kAxisLabel);
    cv::Mat rotated;
    cv::rotate(label, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
    const int y = std::clamp(area.y + area.height / 2 - rotated.rows / 2, 0,
                             std::max(0, img.rows - rotated.rows));
    const int h = std::min(rotated.rows, img.rows - y);
    const cv::Rect where(6, y, rotated.cols, h);
    rotated(cv::Rect(0, 0, rotated.cols, h)).copyTo(img(where));
    out.texts.push_back({where, drawn.text, TextRole::kAxisLabel});
  }
  for (size_t k = 0; k < title_lines.size(); ++k) {
    const int w = TextExtent(title_lines[k], fonts.title).width;
    const int x = std::clamp(area.x + area.width / 2 - w / 2, 6, std::max(6, plot.width - w - 6));
    out.texts.push_back(DrawText(img, title_lines[k],
                                 {x, 8 + static_cast<int>(k + 1) * title_line_h - 4}, fonts.title,
                                 TextRole::kTitle));
  }

  // Series: bands under everything, then lines, error bars and markers. What labels
  // should not cover is collected on the way.
  std::vector<cv::Point> line_samples, bar_samples;
  std::vector<cv::Rect> markers;
  for (size_t s = 0; s < plot.series.size(); ++s) {
    const Series& series = plot.series[s];
    if (!series.error_band) continue;
    std::vector<cv::Point> upper, lower;
    for (size_t i = 0; i < series.x.size() && i < series.y.size(); ++i) {
      if (!finite(series, i)) continue;
      const double e = err(series.y_err, i);
      upper.push_back(px(series.x[i], series.y[i] + e));
      lower.push_back(px(series.x[i], series.y[i] - e));
    }
    if (upper.size() < 2) continue;
    std::vector<cv::Point> polygon = upper;
    polygon.insert(polygon.end(), lower.rbegin(), lower.rend());
    cv::Mat band = img.clone();
    cv::fillPoly(band, std::vector<std::vector<cv::Point>>{polygon}, SeriesColor(series, s),
                 cv::LINE_AA);
    cv::addWeighted(band, 0.15, img, 0.85, 0.0, img);
  }
  for (size_t s = 0; s < plot.series.size(); ++s) {
    const Series& series = plot.series[s];
    const cv::Scalar color = SeriesColor(series, s);
    std::vector<cv::Point> points;
    for (size_t i = 0; i < series.x.size() && i < series.y.size(); ++i) {
      if (finite(series, i)) points.push_back(px(series.x[i], series.y[i]));
    }
    if (series.lines && points.size() > 1) {
      cv::polylines(img, points, false, color, series.line_width, cv::LINE_AA);
      for (size_t i = 1; i < points.size(); ++i) {
        SampleSegment(points[i - 1], points[i], &line_samples);
      }
    }
    for (size_t i = 0; i < series.x.size() && i < series.y.size() && !series.error_band; ++i) {
      if (!finite(series, i)) continue;
      const double ex = err(series.x_err, i), ey = err(series.y_err, i);
      if (ey > 0) {
        const cv::Point a = px(series.x[i], series.y[i] - ey),
                        b = px(series.x[i], series.y[i] + ey);
        cv::line(img, a, b, color, 1, cv::LINE_AA);
        cv::line(img, a - cv::Point(4, 0), a + cv::Point(4, 0), color, 1, cv::LINE_AA);
        cv::line(img, b - cv::Point(4, 0), b + cv::Point(4, 0), color, 1, cv::LINE_AA);
        SampleSegment(a, b, &bar_samples);
      }
      if (ex > 0) {
        const cv::Point a = px(series.x[i] - ex, series.y[i]),
                        b = px(series.x[i] + ex, series.y[i]);
        cv::line(img, a, b, color, 1, cv::LINE_AA);
        cv::line(img, a - cv::Point(0, 4), a + cv::Point(0, 4), color, 1, cv::LINE_AA);
        cv::line(img, b - cv::Point(0, 4), b + cv::Point(0, 4), color, 1, cv::LINE_AA);
        SampleSegment(a, b, &bar_samples);
      }
    }
    if (series.markers) {
      for (const cv::Point& p : points) {
        cv::circle(img, p, kMarkerRadius, color, cv::FILLED, cv::LINE_AA);
        markers.push_back(Inflated(cv::Rect(p.x, p.y, 1, 1), kMarkerRadius + 1));
      }
    }
  }

  // The legend, right of the axes.
  if (legend_size.area() > 0) {
    out.legend = DrawLegend(img, plot, fonts, {area.x + area.width + 12, area.y}, &out.texts);
  }

  // Point labels, the most crowded first: each at the free place nearest its point that
  // stays inside the axes and covers no text, marker or leader line, preferring places
  // that cover no line or error bar.
  // Points whose markers (nearly) coincide share one label, "0, 1e-5, 1e-4".
  struct PointLabel {
    size_t series;
    cv::Point at;
    std::string text;
    bool shared = false;
    int neighbours = 0;
  };
  std::vector<PointLabel> labels;
  for (size_t s = 0; s < plot.series.size(); ++s) {
    const Series& series = plot.series[s];
    for (size_t i = 0; i < series.x.size() && i < series.y.size(); ++i) {
      if (i >= series.point_labels.size() || series.point_labels[i].empty() || !finite(series, i)) {
        continue;
      }
      const cv::Point at = px(series.x[i], series.y[i]);
      PointLabel* joined = nullptr;
      for (PointLabel& other : labels) {
        if (cv::norm(other.at - at) <= kMarkerRadius) joined = &other;
      }
      if (joined != nullptr) {
        joined->text += ", " + series.point_labels[i];
        joined->shared = true;
      } else {
        labels.push_back({s, at, series.point_labels[i]});
      }
    }
  }
  for (PointLabel& a : labels) {
    for (const PointLabel& b : labels) a.neighbours += cv::norm(a.at - b.at) < 60;
  }
  std::stable_sort(labels.begin(), labels.end(), [](const PointLabel& a, const PointLabel& b) {
    return a.neighbours > b.neighbours;
  });
  const cv::Rect inside(area.x + 2, area.y + 2, area.width - 4, area.height - 4);
  std::vector<cv::Rect> fixed;  // Text boxes (inflated) and the legend.
  for (const TextBox& t : out.texts) fixed.push_back(Inflated(t.rect, 2));
  if (out.legend.area() > 0) fixed.push_back(out.legend);
  // Places the labels in `order`; labels in a crowd (3 or more within 60 pixels) go no
  // nearer than `crowd_distance`, so their leaders fan out rather than wall each other
  // in. Returns each label's box, empty when it found no place.
  auto place = [&](const std::vector<size_t>& order, int crowd_distance,
                   bool leaders_cross_markers) {
    std::vector<cv::Rect> boxes(labels.size());
    std::vector<cv::Rect> taken = fixed;
    std::vector<cv::Point> leader_samples;
    constexpr double kPi = 3.14159265358979323846;
    for (size_t index : order) {
      const PointLabel& label = labels[index];
      const cv::Size size = TextExtent(label.text, fonts.point);
      double best_cost = std::numeric_limits<double>::infinity();
      cv::Rect best;
      for (int distance : {3, 8, 14, 22, 32, 44, 58, 74, 92, 112, 136, 164, 196}) {
        if (label.neighbours >= 3 && distance < crowd_distance) continue;
        const int directions = distance < 20 ? 8 : distance < 60 ? 16 : 24;
        for (int k = 0; k < directions; ++k) {
          const double angle = 2 * kPi * k / directions;
          const double ux = std::cos(angle), uy = -std::sin(angle);
          const double reach = distance + kMarkerRadius + std::abs(ux) * size.width / 2.0 +
                               std::abs(uy) * size.height / 2.0;
          const cv::Point center(static_cast<int>(std::lround(label.at.x + ux * reach)),
                                 static_cast<int>(std::lround(label.at.y + uy * reach)));
          // Near the frame, the place slides along it to stay inside.
          if (size.width > inside.width || size.height > inside.height) continue;
          const cv::Rect box(
              std::clamp(center.x - size.width / 2, inside.x, inside.x + inside.width - size.width),
              std::clamp(center.y - size.height / 2, inside.y,
                         inside.y + inside.height - size.height),
              size.width, size.height);
          bool blocked = false;
          for (const cv::Rect& t : taken) blocked = blocked || Intersects(box, t);
          for (const cv::Rect& m : markers) blocked = blocked || Intersects(box, m);
          if (blocked || CountInside(Inflated(box, 1), leader_samples) > 0) continue;
          // The leader line from the marker must cross no text and no other marker
          // (markers on top of this one, coinciding points, aside).
          std::vector<cv::Point> leader;
          SampleSegment(label.at, NearestPoint(box, label.at), &leader);
          int crossed_markers = 0;
          for (const cv::Point& p : leader) {
            if (cv::norm(p - label.at) <= kMarkerRadius + 1) continue;
            for (const cv::Rect& t : taken) blocked = blocked || t.contains(p);
            for (const cv::Rect& m : markers) {
              crossed_markers +=
                  m.contains(p) &&
                  !Intersects(m, Inflated(cv::Rect(label.at, cv::Size(1, 1)), kMarkerRadius + 1));
            }
          }
          if (blocked || (crossed_markers > 0 && !leaders_cross_markers)) continue;
          const double reach_now = cv::norm(NearestPoint(box, label.at) - label.at) - kMarkerRadius;
          const double cost = reach_now + 12.0 * CountInside(Inflated(box, 1), line_samples) +
                              6.0 * CountInside(box, bar_samples) + 10.0 * crossed_markers +
                              (std::abs(uy) > 0.9 ? 2.0 : 0.0);
          if (cost < best_cost) best_cost = cost, best = box;
        }
        // Nearer places win unless every one of them covers a line.
        if (best_cost <= distance + 2.5) break;
      }
      if (!std::isfinite(best_cost)) continue;
      boxes[index] = best;
      taken.push_back(Inflated(best, 2));
      const cv::Point nearest = NearestPoint(best, label.at);
      if (cv::norm(nearest - label.at) > kMarkerRadius + 10) {
        SampleSegment(label.at, nearest, &leader_samples);
      }
    }
    return boxes;
  };
  auto dropped = [](const std::vector<cv::Rect>& boxes) {
    int n = 0;
    for (const cv::Rect& b : boxes) n += b.area() == 0;
    return n;
  };
  // The most crowded first; if some label finds no place, the ones left out first, and
  // crowds fanned out; at last, leaders may cross other markers. The try that leaves out
  // fewest wins.
  std::vector<size_t> order(labels.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<cv::Rect> boxes = place(order, 0, false);
  for (int attempt = 0; attempt < 8 && dropped(boxes) > 0; ++attempt) {
    std::vector<size_t> again;
    for (size_t i : order) {
      if (boxes[i].area() == 0) again.push_back(i);
    }
    for (size_t i : order) {
      if (boxes[i].area() > 0) again.push_back(i);
    }
    order = again;
    std::vector<cv::Rect> other = place(order, attempt % 2 == 0 ? 22 : 0, attempt >= 4);
    if (dropped(other) < dropped(boxes)) boxes = other;
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    const PointLabel& label = labels[i];
    if (boxes[i].area() == 0) {
      ++out.dropped_point_labels;
      continue;
    }
    const Series& series = plot.series[label.series];
    const cv::Scalar color =
        label.shared ? cv::Scalar(70, 70, 70) : LabelColor(series, label.series);
    const cv::Point nearest = NearestPoint(boxes[i], label.at);
    if (cv::norm(nearest - label.at) > kMarkerRadius + 10) {
      const cv::Point2d d = cv::Point2d(nearest - label.at) * (1.0 / cv::norm(nearest - label.at));
      const cv::Point from = label.at + cv::Point(static_cast<int>(d.x * (kMarkerRadius + 2)),
                                                  static_cast<int>(d.y * (kMarkerRadius + 2)));
      cv::line(img, from, nearest, label.shared ? color : SeriesColor(series, label.series), 1,
               cv::LINE_AA);
    }
    out.texts.push_back(DrawText(img, label.text, OriginFor(label.text, fonts.point, boxes[i].tl()),
                                 fonts.point, TextRole::kPointLabel, color));
  }
  return img;
}

cv::Mat RenderLegend(const Plot& plot, cv::Size size, PlotLayout* layout) {
  PlotLayout local;
  PlotLayout& out = layout != nullptr ? *layout : local;
  out = PlotLayout();
  cv::Mat img(size, CV_8UC3, cv::Scalar(255, 255, 255));
  const Fonts fonts = FontsFor(plot);
  const cv::Size legend = LegendSize(plot, fonts);
  if (legend.area() == 0) return img;
  out.legend = DrawLegend(img, plot, fonts, {12, std::max(0, (size.height - legend.height) / 3)},
                          &out.texts);
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

cv::Mat ColorBar(int width, const std::string& label,
                 const std::vector<std::pair<double, std::string>>& marks,
                 std::vector<TextBox>* texts) {
  std::vector<TextBox> local;
  std::vector<TextBox>& out = texts != nullptr ? *texts : local;
  constexpr double kTick = 0.44, kLabel = 0.48;
  const int tick_h = TextExtent("0", kTick).height;
  const int side = 8 + TextExtent("0.00", kTick).width / 2;
  const int bar_w = std::max(10, width - 2 * side);
  auto bar_x = [&](double v) {
    return side + static_cast<int>(std::lround(std::clamp(v, 0.0, 1.0) * (bar_w - 1)));
  };
  // Each mark is a line up from the bar with its text beside the line's top, one row per
  // mark: the left half of the marks (by value) have their text left of the line, the
  // leftmost nearest the bar; the right half right of it, the rightmost nearest. So no
  // text touches another, and no line crosses a text.
  struct Mark {
    int x = 0, row = 0, span_x = 0;
  };
  std::vector<Mark> placed(marks.size());
  std::vector<size_t> order(marks.size());
  for (size_t m = 0; m < order.size(); ++m) order[m] = m;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return marks[a].first < marks[b].first; });
  const size_t n = order.size();
  // When a left text would leave the image, every text goes right of its line.
  bool halves = true;
  for (size_t k = 0; k < n; ++k) {
    const size_t m = order[k];
    const int x = bar_x(marks[m].first), w = TextExtent(marks[m].second, kTick).width;
    if (k < n / 2 && x - 4 - w < 0) halves = false;
  }
  int rows = 0;
  for (size_t k = 0; k < n; ++k) {
    const size_t m = order[k];
    const int x = bar_x(marks[m].first), w = TextExtent(marks[m].second, kTick).width;
    const bool left_half = halves && (k < n / 2 || (n == 1 && x + 4 + w > width));
    const int row = static_cast<int>(left_half ? k : n - 1 - k);
    placed[m] = {x, row, left_half ? std::max(0, x - 4 - w) : std::min(x + 4, width - w)};
    rows = std::max(rows, row + 1);
  }
  const int row_h = tick_h + 8;
  const int bar_top = 4 + rows * row_h + 2, bar_h = 14;
  const int label_h = label.empty() ? 0 : TextExtent("Ag", kLabel).height + 6;
  const int height = bar_top + bar_h + 6 + tick_h + 6 + label_h + 4;
  cv::Mat img(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::Mat ramp(1, bar_w, CV_32F);
  for (int x = 0; x < bar_w; ++x) ramp.at<float>(0, x) = static_cast<float>(x) / (bar_w - 1);
  cv::Mat bar;
  cv::resize(HeatMap(ramp), bar, cv::Size(bar_w, bar_h), 0, 0, cv::INTER_NEAREST);
  bar.copyTo(img(cv::Rect(side, bar_top, bar_w, bar_h)));
  cv::rectangle(img, cv::Rect(side - 1, bar_top - 1, bar_w + 2, bar_h + 2), {0, 0, 0}, 1);
  for (int k = 0; k <= 4; ++k) {
    const int x = bar_x(k / 4.0);
    cv::line(img, {x, bar_top + bar_h}, {x, bar_top + bar_h + 4}, {0, 0, 0});
    const std::string text = FormatNumber(k / 4.0, 2);
    const int w = TextExtent(text, kTick).width;
    out.push_back(DrawText(img, text, {x - w / 2, bar_top + bar_h + 6 + tick_h}, kTick,
                           TextRole::kTickLabel));
  }
  for (size_t m = 0; m < marks.size(); ++m) {
    const Mark& mark = placed[m];
    const int text_top = bar_top - 2 - (mark.row + 1) * row_h;
    cv::line(img, {mark.x, text_top + 2}, {mark.x, bar_top + bar_h}, {0, 0, 0}, 2);
    out.push_back(DrawText(img, marks[m].second,
                           OriginFor(marks[m].second, kTick, {mark.span_x, text_top}), kTick,
                           TextRole::kCaption));
  }
  if (!label.empty()) {
    const int w = TextExtent(label, kLabel).width;
    out.push_back(DrawText(img, label, {std::max(2, (width - w) / 2), height - 8}, kLabel,
                           TextRole::kAxisLabel));
  }
  return img;
}

cv::Mat Overlay(const cv::Mat& image_bgr, const cv::Mat& heat_bgr, double alpha) {
  cv::Mat out;
  cv::addWeighted(image_bgr, 1.0 - alpha, heat_bgr, alpha, 0.0, out);
  return out;
}

cv::Mat WithCaption(const cv::Mat& image, const std::string& caption, int band,
                    std::vector<TextBox>* texts) {
  cv::Mat out(image.rows + band, image.cols, CV_8UC3, cv::Scalar(255, 255, 255));
  image.copyTo(out(cv::Rect(0, band, image.cols, image.rows)));
  const TextBox drawn = DrawText(out, caption, {3, band - 7}, 0.42, TextRole::kCaption);
  if (texts != nullptr) texts->push_back(drawn);
  return out;
}

absl::Status WritePng(const std::string& path, const cv::Mat& image) {
  std::vector<uchar> png;
  if (image.empty() || !cv::imencode(".png", image, png)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot encode the figure as PNG"));
  }
  return WriteFileAtomically(
      path, absl::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

}  // namespace wsol::tables
