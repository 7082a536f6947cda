#include "wsol/metrics/scoremap_boxes.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "opencv2/imgproc.hpp"
#include "wsol/metrics/scoremap.h"

namespace wsol::metrics {
namespace {

constexpr Box kNoContourBox{0, 0, 0, 0};

// The box wsolevaluation makes of a contour's bounding rect in a width x height map.
Box RectBox(const cv::Rect& r, int width, int height) {
  return Box{r.x, r.y, std::min(r.x + r.width, width - 1), std::min(r.y + r.height, height - 1)};
}

// windows[k] is the bounding rect of {quantized > k} (empty when there is none).
std::array<cv::Rect, LevelBoxes::kNumLevels> WindowsAboveLevels(const cv::Mat& quantized) {
  std::array<int, 256> x0, y0, x1, y1;
  x0.fill(quantized.cols);
  y0.fill(quantized.rows);
  x1.fill(-1);
  y1.fill(-1);
  for (int r = 0; r < quantized.rows; ++r) {
    const uint8_t* row = quantized.ptr<uint8_t>(r);
    for (int c = 0; c < quantized.cols; ++c) {
      const int v = row[c];
      x0[v] = std::min(x0[v], c);
      x1[v] = std::max(x1[v], c);
      if (y0[v] > r) y0[v] = r;
      y1[v] = r;
    }
  }
  std::array<cv::Rect, LevelBoxes::kNumLevels> windows;
  int wx0 = quantized.cols, wy0 = quantized.rows, wx1 = -1, wy1 = -1;
  for (int k = 255; k >= 0; --k) {
    windows[k] = wx1 < 0 ? cv::Rect() : cv::Rect(wx0, wy0, wx1 - wx0 + 1, wy1 - wy0 + 1);
    // Pixels with value k are above every level below k.
    if (x1[k] >= 0) {
      wx0 = std::min(wx0, x0[k]);
      wy0 = std::min(wy0, y0[k]);
      wx1 = std::max(wx1, x1[k]);
      wy1 = std::max(wy1, y1[k]);
    }
  }
  return windows;
}

// Union-find over the pixels of a map padded by one pixel on each side, tracking each
// component's bounding box and keeping a list of the roots that are "listed" (every root
// for on pixels; the roots not touching the border for holes).
class Components {
 public:
  Components(int height, int width)
      : height_(height),
        width_(width),
        stride_(width + 2),
        on_(static_cast<size_t>(height + 2) * (width + 2)),
        parent_(on_.size()),
        size_(on_.size()),
        x0_(on_.size()),
        y0_(on_.size()),
        x1_(on_.size()),
        y1_(on_.size()),
        position_(on_.size()),
        touches_border_(on_.size()) {}

  bool Fits(int height, int width) const { return height == height_ && width == width_; }
  int Index(int r, int c) const { return (r + 1) * stride_ + (c + 1); }
  int stride() const { return stride_; }
  bool on(int i) const { return on_[i] != 0; }
  const std::vector<int>& listed() const { return listed_; }
  Box Bounds(int root) const { return Box{x0_[root], y0_[root], x1_[root], y1_[root]}; }

  void Reset() {
    std::fill(on_.begin(), on_.end(), 0);
    listed_.clear();
  }

  // Turns pixel (r, c) on as a component of its own; returns its index.
  int Add(int r, int c, bool touches_border, bool listed) {
    const int i = Index(r, c);
    on_[i] = 1;
    parent_[i] = i;
    size_[i] = 1;
    x0_[i] = x1_[i] = c;
    y0_[i] = y1_[i] = r;
    touches_border_[i] = touches_border;
    position_[i] = -1;
    if (listed) List(i);
    return i;
  }

  int Find(int i) {
    while (parent_[i] != i) {
      parent_[i] = parent_[parent_[i]];
      i = parent_[i];
    }
    return i;
  }

  // Merges the components of roots a != b; returns the new root. With `holes_only`, a
  // root stays listed only while its component does not touch the border.
  int Merge(int a, int b, bool holes_only) {
    if (size_[a] < size_[b]) std::swap(a, b);
    parent_[b] = a;
    size_[a] += size_[b];
    x0_[a] = std::min(x0_[a], x0_[b]);
    y0_[a] = std::min(y0_[a], y0_[b]);
    x1_[a] = std::max(x1_[a], x1_[b]);
    y1_[a] = std::max(y1_[a], y1_[b]);
    Unlist(b);
    if (holes_only && touches_border_[b] && !touches_border_[a]) {
      touches_border_[a] = true;
      Unlist(a);
    }
    return a;
  }

 private:
  void List(int i) {
    position_[i] = static_cast<int>(listed_.size());
    listed_.push_back(i);
  }
  void Unlist(int i) {
    const int at = position_[i];
    if (at < 0) return;
    const int last = listed_.back();
    listed_[at] = last;
    position_[last] = at;
    listed_.pop_back();
    position_[i] = -1;
  }

  int height_, width_;
  int stride_;
  std::vector<uint8_t> on_;
  std::vector<int> parent_;
  std::vector<int> size_;
  std::vector<int> x0_, y0_, x1_, y1_;
  std::vector<int> position_;
  std::vector<bool> touches_border_;
  std::vector<int> listed_;
};

}  // namespace

void LevelBoxes::Set(int level, absl::Span<const Box> boxes) {
  const int begin = static_cast<int>(boxes_.size());
  boxes_.insert(boxes_.end(), boxes.begin(), boxes.end());
  ranges_[level] = {begin, static_cast<int>(boxes_.size())};
}

int MaxQuantized(const cv::Mat& quantized) {
  if (quantized.empty()) return 0;
  double hi = 0;
  cv::minMaxLoc(quantized, nullptr, &hi);
  return static_cast<int>(hi);
}

LevelBoxes FindContourBoxes(const cv::Mat& quantized, ContourMode mode,
                            absl::Span<const int> levels) {
  const int width = quantized.cols, height = quantized.rows;
  std::vector<int> distinct(levels.begin(), levels.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());

  const std::array<cv::Rect, LevelBoxes::kNumLevels> windows = WindowsAboveLevels(quantized);
  LevelBoxes out;
  std::vector<std::vector<cv::Point>> contours;
  std::vector<cv::Vec4i> hierarchy;
  std::vector<Box> boxes;
  cv::Mat binary;
  for (const int level : distinct) {
    boxes.clear();
    const cv::Rect window = windows[level];
    if (window.empty()) {
      boxes.push_back(kNoContourBox);
    } else {
      // cv::threshold(THRESH_BINARY) at an integer level is value > level; contours of
      // the window, shifted back by its corner, are the contours of the whole map: all
      // on pixels are inside, and findContours pads with off pixels anyway.
      cv::compare(quantized(window), cv::Scalar(level), binary, cv::CMP_GT);
      cv::findContours(binary, contours, hierarchy, cv::RETR_TREE, cv::CHAIN_APPROX_SIMPLE,
                       window.tl());
      if (contours.empty()) {
        boxes.push_back(kNoContourBox);
      } else if (mode == ContourMode::kAll) {
        for (const auto& contour : contours) {
          boxes.push_back(RectBox(cv::boundingRect(contour), width, height));
        }
      } else {
        // Python's max(contours, key=cv2.contourArea): the first of the largest.
        size_t best = 0;
        double best_area = cv::contourArea(contours[0]);
        for (size_t i = 1; i < contours.size(); ++i) {
          const double area = cv::contourArea(contours[i]);
          if (area > best_area) {
            best_area = area;
            best = i;
          }
        }
        boxes.push_back(RectBox(cv::boundingRect(contours[best]), width, height));
      }
    }
    out.Set(level, boxes);
  }
  return out;
}

LevelBoxes AllContourBoxes(const cv::Mat& quantized) {
  LevelBoxes out;
  VisitAllContourBoxes(quantized,
                       [&out](int level, absl::Span<const Box> boxes) { out.Set(level, boxes); });
  return out;
}

void VisitAllContourBoxes(const cv::Mat& quantized,
                          absl::FunctionRef<void(int, absl::Span<const Box>)> visit) {
  const int width = quantized.cols, height = quantized.rows;
  const int max_q = MaxQuantized(quantized);
  // Levels at or above the maximum have no on pixel.
  for (int level = LevelBoxes::kNumLevels - 1; level >= max_q; --level) {
    visit(level, {&kNoContourBox, 1});
  }
  if (max_q == 0) return;

  // Pixels sorted by value (counting sort), packed as (row << 16) | column.
  std::array<int, 257> start{};
  for (int r = 0; r < height; ++r) {
    const uint8_t* row = quantized.ptr<uint8_t>(r);
    for (int c = 0; c < width; ++c) ++start[row[c] + 1];
  }
  for (int v = 0; v < 256; ++v) start[v + 1] += start[v];
  // Scratch reused across calls on a thread: fresh megabyte-sized buffers per map would
  // cost more in page faults than the sweep itself.
  struct Scratch {
    std::vector<uint32_t> order;
    std::optional<Components> components;
    std::vector<Box> hole_boxes;
    std::vector<Box> boxes;
  };
  thread_local Scratch scratch;
  std::vector<uint32_t>& order = scratch.order;
  order.resize(static_cast<size_t>(width) * height);
  {
    std::array<int, 256> next;
    std::copy(start.begin(), start.begin() + 256, next.begin());
    for (int r = 0; r < height; ++r) {
      const uint8_t* row = quantized.ptr<uint8_t>(r);
      for (int c = 0; c < width; ++c) {
        order[next[row[c]]++] = (static_cast<uint32_t>(r) << 16) | static_cast<uint32_t>(c);
      }
    }
  }

  if (!scratch.components || !scratch.components->Fits(height, width)) {
    scratch.components.emplace(height, width);
  }
  Components& components = *scratch.components;
  components.Reset();
  const int s = components.stride();

  // Holes: 4-connected components of off pixels (value <= level) that do not touch the
  // border, with off pixels added from level 0 up.
  std::vector<Box>& hole_boxes = scratch.hole_boxes;
  hole_boxes.clear();
  std::array<std::pair<int, int>, LevelBoxes::kNumLevels> hole_ranges{};
  const int four[4] = {-s, -1, 1, s};
  for (int level = 0; level < max_q; ++level) {
    for (int i = start[level]; i < start[level + 1]; ++i) {
      const int r = static_cast<int>(order[i] >> 16), c = static_cast<int>(order[i] & 0xffff);
      const bool border = r == 0 || c == 0 || r == height - 1 || c == width - 1;
      const int index = components.Add(r, c, border, /*listed=*/!border);
      int root = index;
      for (const int d : four) {
        if (!components.on(index + d)) continue;
        const int other = components.Find(index + d);
        if (other != root) root = components.Merge(root, other, /*holes_only=*/true);
      }
    }
    const int begin = static_cast<int>(hole_boxes.size());
    for (const int root : components.listed()) {
      const Box b = components.Bounds(root);
      // The hole's bounding box grown by one pixel, then wsolevaluation's x + w, y + h.
      hole_boxes.push_back(
          Box{b.x0 - 1, b.y0 - 1, std::min(b.x1 + 2, width - 1), std::min(b.y1 + 2, height - 1)});
    }
    hole_ranges[level] = {begin, static_cast<int>(hole_boxes.size())};
  }

  // Outer contours: 8-connected components of on pixels (value > level), added from the
  // top level down.
  components.Reset();
  const int eight[8] = {-s - 1, -s, -s + 1, -1, 1, s - 1, s, s + 1};
  std::vector<Box>& boxes = scratch.boxes;
  for (int level = max_q - 1; level >= 0; --level) {
    for (int i = start[level + 1]; i < start[level + 2]; ++i) {
      const int r = static_cast<int>(order[i] >> 16), c = static_cast<int>(order[i] & 0xffff);
      const int index = components.Add(r, c, /*touches_border=*/false, /*listed=*/true);
      int root = index;
      for (const int d : eight) {
        if (!components.on(index + d)) continue;
        const int other = components.Find(index + d);
        if (other != root) root = components.Merge(root, other, /*holes_only=*/false);
      }
    }
    boxes.clear();
    for (const int root : components.listed()) {
      const Box b = components.Bounds(root);
      boxes.push_back(
          Box{b.x0, b.y0, std::min(b.x1 + 1, width - 1), std::min(b.y1 + 1, height - 1)});
    }
    const auto [begin, end] = hole_ranges[level];
    boxes.insert(boxes.end(), hole_boxes.begin() + begin, hole_boxes.begin() + end);
    visit(level, boxes);
  }
}

absl::StatusOr<std::vector<std::vector<Box>>> BoxesFromScoremap(const cv::Mat& scoremap,
                                                                absl::Span<const double> thresholds,
                                                                ContourMode mode) {
  if (absl::Status s = CheckScoremap(scoremap); !s.ok()) return s;
  for (const double t : thresholds) {
    if (!(t >= 0 && t <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("CAM threshold ", t, ": expected a value in [0, 1]"));
    }
  }
  const cv::Mat quantized = QuantizeScoremap(scoremap);
  const int max_q = MaxQuantized(quantized);
  std::vector<int> levels;
  levels.reserve(thresholds.size());
  for (const double t : thresholds) levels.push_back(ThresholdLevel(t, max_q));
  const LevelBoxes level_boxes = FindContourBoxes(quantized, mode, levels);
  std::vector<std::vector<Box>> result;
  result.reserve(levels.size());
  for (const int level : levels) {
    const absl::Span<const Box> b = level_boxes.boxes(level);
    result.emplace_back(b.begin(), b.end());
  }
  return result;
}

}  // namespace wsol::metrics
