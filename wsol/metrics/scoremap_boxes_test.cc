#include "wsol/metrics/scoremap_boxes.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgproc.hpp"
#include "wsol/metrics/scoremap.h"
#include "wsol/util/status_matchers.h"

namespace wsol::metrics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

using Boxes = std::vector<Box>;

// Thresholds 0, 0.2, 0.4, 0.6000000000000001, 0.8 (numpy.arange(0, 1, 0.2)). With a map
// whose maximum is 1 (255 after quantization) the levels are 0, 51, 102, 153 and 204,
// and a pixel is on when its 8-bit value is strictly above the level. Values used below
// quantize as 0.1 -> 25, 0.2 -> 51, 0.3 -> 76, 0.5 -> 127, 0.6 -> 153, 0.7 -> 178,
// 0.8 -> 204, 0.9 -> 229, 1 -> 255; so 0.2 is off at t = 0.2, 0.6 is off at t = 0.6 and
// 0.8 is off at t = 0.8.
std::vector<double> FifthThresholds() { return *CamThresholds(0.2); }

// A 5 x 6 map (rows are y, columns x) with one peak at (x 2, y 2).
cv::Mat UnimodalMap() {
  return (cv::Mat_<double>(5, 6) << 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,  //
          0.0, 0.3, 0.5, 0.5, 0.3, 0.0,                            //
          0.1, 0.3, 1.0, 0.9, 0.3, 0.0,                            //
          0.0, 0.3, 0.7, 0.5, 0.3, 0.0,                            //
          0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
}

// An 6 x 8 map: a 3 x 3 square of 0.6 with 0.2 in its centre (a ring once 0.2 is off),
// a peak 0.9 / 1.0 / 0.8 top right, a bar of 0.3 and an L of 0.5 at the bottom.
cv::Mat MultimodalMap() {
  return (cv::Mat_<double>(6, 8) << 0.6, 0.6, 0.6, 0.0, 0.0, 0.0, 0.0, 0.0,  //
          0.6, 0.2, 0.6, 0.0, 0.0, 0.9, 0.0, 0.0,                            //
          0.6, 0.6, 0.6, 0.0, 0.0, 1.0, 0.8, 0.0,                            //
          0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,                            //
          0.0, 0.3, 0.3, 0.3, 0.3, 0.0, 0.5, 0.0,                            //
          0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5);
}

TEST(BoxesFromScoremapTest, UnimodalLargestContour) {
  // Bounding rect (x, y, w, h) -> box (x, y, min(x + w, 5), min(y + h, 4)):
  //   t = 0:   every non-zero pixel, x 0..4, y 1..3: rect (0, 1, 5, 3) -> (0, 1, 5, 4).
  //   t = 0.2: values >= 0.3, x 1..4, y 1..3: rect (1, 1, 4, 3) -> (1, 1, 5, 4).
  //   t = 0.4: values >= 0.5, x 2..3, y 1..3: rect (2, 1, 2, 3) -> (2, 1, 4, 4).
  //   t = 0.6: 1.0, 0.9 and 0.7, x 2..3, y 2..3: rect (2, 2, 2, 2) -> (2, 2, 4, 4).
  //   t = 0.8: 1.0 and 0.9, x 2..3, y 2: rect (2, 2, 2, 1) -> (2, 2, 4, 3).
  const Boxes expected[] = {
      {{0, 1, 5, 4}}, {{1, 1, 5, 4}}, {{2, 1, 4, 4}}, {{2, 2, 4, 4}}, {{2, 2, 4, 3}}};
  for (const ContourMode mode : {ContourMode::kLargest, ContourMode::kAll}) {
    absl::StatusOr<std::vector<Boxes>> boxes =
        BoxesFromScoremap(UnimodalMap(), FifthThresholds(), mode);
    ASSERT_THAT(boxes, IsOk());
    EXPECT_THAT(*boxes,
                ElementsAre(expected[0], expected[1], expected[2], expected[3], expected[4]));
  }
}

TEST(BoxesFromScoremapTest, MultimodalLargestContour) {
  // contourArea of the square's outer contour (a 2 x 2 polygon through pixel centres) is
  // 4; the ring's hole contour is a diamond of area 2; the peak's triangle 0.5; the bar 0.
  //   t = 0, 0.2, 0.4: the square (x 0..2, y 0..2): rect (0, 0, 3, 3) -> (0, 0, 3, 3).
  //   t = 0.6: the square (0.6) is off; the peak (x 5..6, y 1..2) -> (5, 1, 7, 3).
  //   t = 0.8: 0.8 is off; 0.9 and 1.0 (x 5, y 1..2): rect (5, 1, 1, 2) -> (5, 1, 6, 3).
  absl::StatusOr<std::vector<Boxes>> boxes =
      BoxesFromScoremap(MultimodalMap(), FifthThresholds(), ContourMode::kLargest);
  ASSERT_THAT(boxes, IsOk());
  EXPECT_THAT(*boxes, ElementsAre(Boxes{{0, 0, 3, 3}}, Boxes{{0, 0, 3, 3}}, Boxes{{0, 0, 3, 3}},
                                  Boxes{{5, 1, 7, 3}}, Boxes{{5, 1, 6, 3}}));
}

TEST(BoxesFromScoremapTest, MultimodalAllContours) {
  // Components (x + w and y + h clipped to 7 and 5):
  //   square x 0..2, y 0..2 -> (0, 0, 3, 3); peak x 5..6, y 1..2 -> (5, 1, 7, 3);
  //   bar x 1..4, y 4 -> (1, 4, 5, 5); L x 6..7, y 4..5 -> (6, 4, 7, 5).
  //   The ring's hole (x 1, y 1) has a contour through (1, 0), (0, 1), (1, 2), (2, 1):
  //   rect (0, 0, 3, 3) -> (0, 0, 3, 3).
  //   t = 0: all four components, the ring is filled.
  //   t = 0.2: the centre 0.2 is off: the four components and the hole.
  //   t = 0.4: the bar (0.3) is off: square, hole, peak and L.
  //   t = 0.6: only the peak; t = 0.8: the peak without 0.8.
  absl::StatusOr<std::vector<Boxes>> boxes =
      BoxesFromScoremap(MultimodalMap(), FifthThresholds(), ContourMode::kAll);
  ASSERT_THAT(boxes, IsOk());
  ASSERT_EQ(boxes->size(), 5u);
  EXPECT_THAT((*boxes)[0], UnorderedElementsAre(Box{0, 0, 3, 3}, Box{5, 1, 7, 3}, Box{1, 4, 5, 5},
                                                Box{6, 4, 7, 5}));
  EXPECT_THAT((*boxes)[1], UnorderedElementsAre(Box{0, 0, 3, 3}, Box{0, 0, 3, 3}, Box{5, 1, 7, 3},
                                                Box{1, 4, 5, 5}, Box{6, 4, 7, 5}));
  EXPECT_THAT((*boxes)[2], UnorderedElementsAre(Box{0, 0, 3, 3}, Box{0, 0, 3, 3}, Box{5, 1, 7, 3},
                                                Box{6, 4, 7, 5}));
  EXPECT_THAT((*boxes)[3], ElementsAre(Box{5, 1, 7, 3}));
  EXPECT_THAT((*boxes)[4], ElementsAre(Box{5, 1, 6, 3}));
}

TEST(BoxesFromScoremapTest, TieGoesToTheFirstContourFindContoursLists) {
  // Three equal 2 x 2 squares (area 1 each). OpenCV 4.6 lists sibling contours last-found
  // first (checked with cv2.findContours), so Python's max() and we pick the square found
  // last in raster order: rows 3..4, columns 5..6 -> (5, 3, 7, 5).
  cv::Mat map = cv::Mat::zeros(6, 8, CV_64FC1);
  map(cv::Rect(0, 0, 2, 2)).setTo(1.0);
  map(cv::Rect(5, 0, 2, 2)).setTo(1.0);
  map(cv::Rect(5, 3, 2, 2)).setTo(1.0);
  absl::StatusOr<std::vector<Boxes>> boxes = BoxesFromScoremap(map, {0.5}, ContourMode::kLargest);
  ASSERT_THAT(boxes, IsOk());
  EXPECT_THAT(*boxes, ElementsAre(Boxes{{5, 3, 7, 5}}));
}

TEST(BoxesFromScoremapTest, DegenerateMaps) {
  const std::vector<double> thresholds = FifthThresholds();
  const std::vector<Boxes> none(5, Boxes{{0, 0, 0, 0}});
  // All zeros: no pixel is ever on, so every threshold gives (0, 0, 0, 0).
  EXPECT_EQ(*BoxesFromScoremap(cv::Mat::zeros(3, 3, CV_64FC1), thresholds, ContourMode::kAll),
            none);
  // A maximum below 1/255 quantizes to all zeros: the same.
  EXPECT_EQ(*BoxesFromScoremap(cv::Mat(4, 4, CV_32FC1, cv::Scalar(0.003)), thresholds,
                               ContourMode::kLargest),
            none);
  // Constant 0.5: every pixel is 127 and every level int(t * 127) < 127, so the whole
  // 4 x 5 map is one contour: rect (0, 0, 5, 4) -> (0, 0, 4, 3).
  EXPECT_EQ(*BoxesFromScoremap(cv::Mat(4, 5, CV_64FC1, cv::Scalar(0.5)), thresholds,
                               ContourMode::kLargest),
            std::vector<Boxes>(5, Boxes{{0, 0, 4, 3}}));
  // One pixel of 1: rect (0, 0, 1, 1) clipped to the 1 x 1 map -> (0, 0, 0, 0).
  EXPECT_EQ(
      *BoxesFromScoremap(cv::Mat(1, 1, CV_64FC1, cv::Scalar(1.0)), thresholds, ContourMode::kAll),
      none);
}

TEST(BoxesFromScoremapTest, RejectsInvalidInput) {
  cv::Mat map(2, 2, CV_64FC1, cv::Scalar(0.5));
  map.at<double>(0, 0) = std::nan("");
  EXPECT_THAT(BoxesFromScoremap(map, {0.5}, ContourMode::kAll),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NaN")));
  EXPECT_THAT(BoxesFromScoremap(cv::Mat(2, 2, CV_64FC1, cv::Scalar(0.5)), {1.5}, ContourMode::kAll),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("CAM threshold 1.5")));
}

// ---- AllContourBoxes and FindContourBoxes against plain cv::findContours ----

// The boxes of every contour of {q > level} on the whole map, as Python computes them.
Boxes ReferenceBoxes(const cv::Mat& q, int level, ContourMode mode) {
  cv::Mat binary;
  cv::threshold(q, binary, level, 255, cv::THRESH_BINARY);
  std::vector<std::vector<cv::Point>> contours;
  std::vector<cv::Vec4i> hierarchy;
  cv::findContours(binary, contours, hierarchy, cv::RETR_TREE, cv::CHAIN_APPROX_SIMPLE);
  if (contours.empty()) return {{0, 0, 0, 0}};
  if (mode == ContourMode::kLargest) {
    const auto largest = std::max_element(
        contours.begin(), contours.end(),
        [](const auto& a, const auto& b) { return cv::contourArea(a) < cv::contourArea(b); });
    contours = {*largest};
  }
  Boxes boxes;
  for (const auto& contour : contours) {
    const cv::Rect r = cv::boundingRect(contour);
    boxes.push_back(
        {r.x, r.y, std::min(r.x + r.width, q.cols - 1), std::min(r.y + r.height, q.rows - 1)});
  }
  return boxes;
}

// Random 8-bit maps of several kinds: noise (many components and holes), sparse noise,
// few-valued maps (large plateaus, rings), smooth blobs, stripes and checkerboards
// (diagonal-only connections).
cv::Mat RandomQuantizedMap(std::mt19937& rng, int height, int width) {
  cv::Mat q(height, width, CV_8UC1);
  const int kind = static_cast<int>(rng() % 5);
  const int values[3] = {static_cast<int>(rng() % 256), static_cast<int>(rng() % 256),
                         static_cast<int>(rng() % 256)};
  const int cx = static_cast<int>(rng() % width), cy = static_cast<int>(rng() % height);
  const int period = 1 + static_cast<int>(rng() % 3);
  for (int r = 0; r < height; ++r) {
    for (int c = 0; c < width; ++c) {
      int v = 0;
      switch (kind) {
        case 0:
          v = static_cast<int>(rng() % 256);
          break;
        case 1:
          v = rng() % 5 == 0 ? static_cast<int>(rng() % 256) : 0;
          break;
        case 2:
          v = values[rng() % 3];
          break;
        case 3: {
          const int d2 = (r - cy) * (r - cy) + (c - cx) * (c - cx);
          v = std::max(0, 255 - d2 * 4 + static_cast<int>(rng() % 40));
          v = std::min(v, 255);
          break;
        }
        default:
          v = ((r / period + c / period) % 2) ? values[0] : values[1];
          break;
      }
      q.at<uint8_t>(r, c) = static_cast<uint8_t>(v);
    }
  }
  return q;
}

Boxes Sorted(Boxes boxes) {
  std::sort(boxes.begin(), boxes.end(), [](const Box& a, const Box& b) {
    return std::tie(a.x0, a.y0, a.x1, a.y1) < std::tie(b.x0, b.y0, b.x1, b.y1);
  });
  return boxes;
}

void ExpectMatchesFindContours(const cv::Mat& q, int map_index) {
  const LevelBoxes all = AllContourBoxes(q);
  std::vector<int> levels(LevelBoxes::kNumLevels);
  for (int k = 0; k < LevelBoxes::kNumLevels; ++k) levels[k] = k;
  const LevelBoxes all_traced = FindContourBoxes(q, ContourMode::kAll, levels);
  const LevelBoxes largest = FindContourBoxes(q, ContourMode::kLargest, levels);
  for (int k = 0; k < LevelBoxes::kNumLevels; ++k) {
    const Boxes reference_all = ReferenceBoxes(q, k, ContourMode::kAll);
    const absl::Span<const Box> traced = all_traced.boxes(k);
    ASSERT_EQ(Boxes(traced.begin(), traced.end()), reference_all)
        << "map " << map_index << " level " << k;
    ASSERT_EQ(Sorted(Boxes(all.boxes(k).begin(), all.boxes(k).end())), Sorted(reference_all))
        << "map " << map_index << " (" << q.rows << "x" << q.cols << ") level " << k;
    const absl::Span<const Box> best = largest.boxes(k);
    ASSERT_EQ(Boxes(best.begin(), best.end()), ReferenceBoxes(q, k, ContourMode::kLargest))
        << "map " << map_index << " level " << k;
  }
}

TEST(AllContourBoxesTest, MatchesFindContoursOnSmallRandomMaps) {
  std::mt19937 rng(20240611);
  for (int i = 0; i < 1500; ++i) {
    const int height = 1 + static_cast<int>(rng() % 16);
    const int width = 1 + static_cast<int>(rng() % 16);
    ExpectMatchesFindContours(RandomQuantizedMap(rng, height, width), i);
    if (HasFatalFailure()) return;
  }
}

TEST(AllContourBoxesTest, MatchesFindContoursOnLargerRandomMaps) {
  std::mt19937 rng(7);
  for (int i = 0; i < 24; ++i) {
    const int size = i < 20 ? 17 + static_cast<int>(rng() % 48) : 224;
    ExpectMatchesFindContours(RandomQuantizedMap(rng, size, size + static_cast<int>(rng() % 9)), i);
    if (HasFatalFailure()) return;
  }
}

TEST(AllContourBoxesTest, LevelsAtOrAboveTheMaximumHaveNoContour) {
  const cv::Mat q = (cv::Mat_<uint8_t>(2, 2) << 0, 10, 3, 0);
  const LevelBoxes all = AllContourBoxes(q);
  EXPECT_THAT(all.boxes(10), ElementsAre(Box{0, 0, 0, 0}));
  EXPECT_THAT(all.boxes(255), ElementsAre(Box{0, 0, 0, 0}));
  // Level 3: only (x 1, y 0): rect (1, 0, 1, 1) -> (1, 0, min(2, 1), min(1, 1)).
  EXPECT_THAT(all.boxes(3), ElementsAre(Box{1, 0, 1, 1}));
  // Level 0: (1, 0) and (0, 1) touch diagonally: one component, rect (0, 0, 2, 2).
  EXPECT_THAT(all.boxes(0), ElementsAre(Box{0, 0, 1, 1}));
}

}  // namespace
}  // namespace wsol::metrics
