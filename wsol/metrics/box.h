// box.h
//
// Axis-aligned boxes in wsolevaluation's inclusive-pixel convention: (x0, y0) and
// (x1, y1) are the first and last covered pixel, so a box covers
// (x1 - x0 + 1) * (y1 - y0 + 1) pixels.
//
//   wsol::metrics::Box a{1, 2, 5, 6}, b{3, 1, 4, 5};
//   double iou = wsol::metrics::BoxIou(a, b);  // 8 / 27
#ifndef WSOL_METRICS_BOX_H_
#define WSOL_METRICS_BOX_H_

#include <ostream>

namespace wsol::metrics {

struct Box {
  int x0 = 0;
  int y0 = 0;
  int x1 = 0;
  int y1 = 0;

  friend bool operator==(const Box& a, const Box& b) {
    return a.x0 == b.x0 && a.y0 == b.y0 && a.x1 == b.x1 && a.y1 == b.y1;
  }
  friend bool operator!=(const Box& a, const Box& b) { return !(a == b); }
  friend std::ostream& operator<<(std::ostream& os, const Box& b) {
    return os << "(" << b.x0 << "," << b.y0 << "," << b.x1 << "," << b.y1 << ")";
  }
};

}  // namespace wsol::metrics

#endif  // WSOL_METRICS_BOX_H_
