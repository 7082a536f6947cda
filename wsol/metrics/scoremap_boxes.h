// scoremap_boxes.h
//
// Boxes from a score map at CAM thresholds, as wsolevaluation's
// compute_bboxes_from_scoremaps finds them: the map is quantized to 8 bits
// (QuantizeScoremap), at threshold t a pixel is on when its 8-bit value q is strictly
// greater than the level int(t * max q), contours of the on pixels are found with
// cv::findContours (tree retrieval, simple chain approximation), and each contour gives
// the box (x, y, min(x + w, W - 1), min(y + h, H - 1)) of its bounding rect (x, y, w, h).
// Either every contour's box is kept (multi-contour evaluation, MaxBoxAccV2) or only the
// box of the contour with the largest cv::contourArea, the first one on a tie (MaxBoxAcc).
// A level with no on pixel gives the single box (0, 0, 0, 0).
//
// However fine the threshold grid, an 8-bit map has at most 256 distinct levels, so the
// work is done per level: LevelBoxes holds the boxes of levels 0..255.
//
//   cv::Mat q = wsol::metrics::QuantizeScoremap(scoremap);
//   wsol::metrics::LevelBoxes all = wsol::metrics::AllContourBoxes(q);
//   for (const wsol::metrics::Box& b : all.boxes(wsol::metrics::ThresholdLevel(0.2, max_q))) ...
#ifndef WSOL_METRICS_SCOREMAP_BOXES_H_
#define WSOL_METRICS_SCOREMAP_BOXES_H_

#include <array>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "opencv2/core.hpp"
#include "wsol/metrics/box.h"

namespace wsol::metrics {

enum class ContourMode {
  kLargest,  // The box of the largest contour only (MaxBoxAcc).
  kAll,      // The box of every contour (multi-contour evaluation, MaxBoxAccV2).
};

// LevelBoxes: boxes for each 8-bit level 0..255; a level that was not computed is empty.
class LevelBoxes {
 public:
  static constexpr int kNumLevels = 256;

  absl::Span<const Box> boxes(int level) const {
    const auto [begin, end] = ranges_[level];
    return absl::MakeConstSpan(boxes_.data() + begin, end - begin);
  }

  // Appends `level`'s boxes; each level is set at most once.
  void Set(int level, absl::Span<const Box> boxes);

 private:
  std::array<std::pair<int, int>, kNumLevels> ranges_{};
  std::vector<Box> boxes_;
};

// MaxQuantized returns the largest value of a CV_8U map (0 for an empty map).
int MaxQuantized(const cv::Mat& quantized);

// FindContourBoxes computes, for each level k in `levels` (each in [0, 255]), the boxes
// of the contours of {quantized > k} with cv::findContours, once per distinct level and
// on the smallest window holding the on pixels. For kAll the boxes are in findContours'
// order. `quantized` is CV_8UC1.
LevelBoxes FindContourBoxes(const cv::Mat& quantized, ContourMode mode,
                            absl::Span<const int> levels);

// AllContourBoxes computes the kAll boxes of every level at once, without tracing
// contours: findContours returns one outer contour per 8-connected component of on
// pixels and one hole contour per 4-connected component of off pixels that does not
// reach the image border. An outer contour's bounding rect is its component's bounding
// box; a hole contour runs through the on pixels around the hole, so its bounding rect is
// the hole's bounding box grown by one pixel on each side. Both families are tracked with
// union-find while pixels are added level by level (on pixels from the top level down, off
// pixels from level 0 up), so the cost is near-linear in the pixel count whatever the number
// of levels. Each level holds the same boxes as FindContourBoxes(kAll), in another order
// (the tests check this on thousands of maps).
LevelBoxes AllContourBoxes(const cv::Mat& quantized);

// VisitAllContourBoxes is AllContourBoxes without storing the boxes: it calls
// visit(level, boxes) once for every level 0..255 (from 255 down), `boxes` being valid
// during the call only. BoxAccuracy scores each level this way, with no per-level copy.
void VisitAllContourBoxes(const cv::Mat& quantized,
                          absl::FunctionRef<void(int, absl::Span<const Box>)> visit);

// BoxesFromScoremap returns, for each threshold in `thresholds` (each in [0, 1]), the
// boxes wsolevaluation's compute_bboxes_from_scoremaps returns for it, in its order. The
// map is checked with CheckScoremap.
absl::StatusOr<std::vector<std::vector<Box>>> BoxesFromScoremap(const cv::Mat& scoremap,
                                                                absl::Span<const double> thresholds,
                                                                ContourMode mode);

}  // namespace wsol::metrics

#endif  // WSOL_METRICS_SCOREMAP_BOXES_H_
