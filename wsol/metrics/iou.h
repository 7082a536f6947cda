// iou.h
//
// Box overlap and box rescaling in wsolevaluation's conventions (Choe et al., CVPR 2020):
// boxes are inclusive pixel ranges (box.h), so a box covers (x1 - x0 + 1) * (y1 - y0 + 1)
// pixels, and ground-truth boxes are brought from the original image size to the
// evaluation size by scaling each coordinate in double and truncating toward zero.
//
//   double iou = wsol::metrics::BoxIou({1, 2, 5, 6}, {3, 1, 4, 5});  // 8 / 27
//   wsol::metrics::Box gt = wsol::metrics::RescaleBox(box, {500, 375}, {224, 224});
#ifndef WSOL_METRICS_IOU_H_
#define WSOL_METRICS_IOU_H_

#include "absl/types/span.h"
#include "wsol/metrics/box.h"

namespace wsol::metrics {

// BoxIou returns |a ∩ b| / |a ∪ b| with areas counted in pixels. Two equal boxes give 1,
// including two all-zero boxes (each covers pixel (0, 0)). A union of zero or negative
// area, possible only for boxes with x1 < x0 or y1 < y0, gives 0.
double BoxIou(const Box& a, const Box& b);

// MaxIou returns the largest BoxIou between a box of `predicted` and a box of `truth`,
// or 0 when either is empty.
double MaxIou(absl::Span<const Box> predicted, absl::Span<const Box> truth);

struct ImageSize {
  int width = 0;
  int height = 0;
};

// RescaleBox maps `box` from an image of size `from` to one of size `to`: each
// coordinate c becomes int(c * to / from) (x with widths, y with heights), computed in
// double and truncated toward zero. `from` must have positive sides.
Box RescaleBox(const Box& box, ImageSize from, ImageSize to);

}  // namespace wsol::metrics

#endif  // WSOL_METRICS_IOU_H_
