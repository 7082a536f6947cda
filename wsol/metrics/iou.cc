#include "wsol/metrics/iou.h"

#include <algorithm>
#include <cstdint>

namespace wsol::metrics {

double BoxIou(const Box& a, const Box& b) {
  // Integer areas as in wsolevaluation's calculate_multiple_iou; only the final ratio is
  // floating point, so the result is the same double numpy computes.
  const int64_t overlap_w =
      std::max<int64_t>(0, int64_t{std::min(a.x1, b.x1)} - std::max(a.x0, b.x0) + 1);
  const int64_t overlap_h =
      std::max<int64_t>(0, int64_t{std::min(a.y1, b.y1)} - std::max(a.y0, b.y0) + 1);
  const int64_t intersection = overlap_w * overlap_h;
  const int64_t area_a = (int64_t{a.x1} - a.x0 + 1) * (int64_t{a.y1} - a.y0 + 1);
  const int64_t area_b = (int64_t{b.x1} - b.x0 + 1) * (int64_t{b.y1} - b.y0 + 1);
  const int64_t union_area = area_a + area_b - intersection;
  if (union_area <= 0) return 0.0;
  return static_cast<double>(intersection) / static_cast<double>(union_area);
}

double MaxIou(absl::Span<const Box> predicted, absl::Span<const Box> truth) {
  double best = 0.0;
  for (const Box& p : predicted) {
    for (const Box& t : truth) best = std::max(best, BoxIou(p, t));
  }
  return best;
}

Box RescaleBox(const Box& box, ImageSize from, ImageSize to) {
  // Same operation order as resize_bbox: (c * new) / old, each step in double.
  const auto scale = [](int c, int old_size, int new_size) {
    return static_cast<int>(static_cast<double>(c) * static_cast<double>(new_size) /
                            static_cast<double>(old_size));
  };
  return Box{scale(box.x0, from.width, to.width), scale(box.y0, from.height, to.height),
             scale(box.x1, from.width, to.width), scale(box.y1, from.height, to.height)};
}

}  // namespace wsol::metrics
