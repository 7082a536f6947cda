#include "wsol/metrics/iou.h"

#include <vector>

#include "gtest/gtest.h"

namespace wsol::metrics {
namespace {

TEST(BoxIouTest, HandWorkedOverlap) {
  // a covers 5 x 5 = 25 pixels, b covers 2 x 5 = 10; they share x in [3, 4] and y in
  // [2, 5], 2 x 4 = 8 pixels; union 25 + 10 - 8 = 27.
  EXPECT_EQ(BoxIou({1, 2, 5, 6}, {3, 1, 4, 5}), 8.0 / 27.0);
  EXPECT_EQ(BoxIou({3, 1, 4, 5}, {1, 2, 5, 6}), 8.0 / 27.0);
}

TEST(BoxIouTest, EqualBoxesGiveOne) {
  EXPECT_EQ(BoxIou({4, 4, 5, 5}, {4, 4, 5, 5}), 1.0);
  // Two all-zero boxes each cover pixel (0, 0): IoU 1, as in wsolevaluation.
  EXPECT_EQ(BoxIou({0, 0, 0, 0}, {0, 0, 0, 0}), 1.0);
}

TEST(BoxIouTest, DisjointAndTouchingBoxes) {
  EXPECT_EQ(BoxIou({0, 0, 1, 1}, {2, 0, 3, 1}), 0.0);
  // Sharing the column x = 1: 1 x 2 = 2 common pixels out of 4 + 4 - 2 = 6.
  EXPECT_EQ(BoxIou({0, 0, 1, 1}, {1, 0, 2, 1}), 2.0 / 6.0);
}

TEST(BoxIouTest, NestedBox) {
  // 1 pixel inside a 3 x 3 box: 1 / 9.
  EXPECT_EQ(BoxIou({0, 0, 2, 2}, {1, 1, 1, 1}), 1.0 / 9.0);
}

TEST(BoxIouTest, DegenerateUnionGivesZero) {
  // x1 < x0 by 2: area (-1) * 1 = -1 for each box, so the union is not positive.
  EXPECT_EQ(BoxIou({3, 0, 1, 0}, {3, 0, 1, 0}), 0.0);
}

TEST(MaxIouTest, BestPairOverBothLists) {
  const std::vector<Box> predicted = {{0, 0, 0, 0}, {1, 2, 5, 6}};
  const std::vector<Box> truth = {{10, 10, 12, 12}, {3, 1, 4, 5}};
  EXPECT_EQ(MaxIou(predicted, truth), 8.0 / 27.0);
  EXPECT_EQ(MaxIou({}, truth), 0.0);
  EXPECT_EQ(MaxIou(predicted, {}), 0.0);
}

TEST(RescaleBoxTest, TruncatesTowardZero) {
  // 7 * 224 / 100 = 15.68 -> 15, 5 * 224 / 80 = 14, 99 * 224 / 100 = 221.76 -> 221,
  // 60 * 224 / 80 = 168.
  EXPECT_EQ(RescaleBox({7, 5, 99, 60}, {100, 80}, {224, 224}), (Box{15, 14, 221, 168}));
}

TEST(RescaleBoxTest, MultipliesBeforeDividing) {
  // 45 * 224 / 80 = 126 exactly; 45 * (224 / 80) would give 125.99999999999999 -> 125.
  EXPECT_EQ(RescaleBox({45, 0, 45, 0}, {80, 80}, {224, 224}), (Box{126, 0, 126, 0}));
}

TEST(RescaleBoxTest, IdentityAndShrink) {
  EXPECT_EQ(RescaleBox({1, 2, 1, 2}, {3, 3}, {3, 3}), (Box{1, 2, 1, 2}));
  // Halving: 9 / 2 = 4.5 -> 4, 7 / 2 = 3.5 -> 3.
  EXPECT_EQ(RescaleBox({9, 7, 9, 7}, {20, 20}, {10, 10}), (Box{4, 3, 4, 3}));
}

}  // namespace
}  // namespace wsol::metrics
