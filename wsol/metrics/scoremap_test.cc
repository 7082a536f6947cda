#include "wsol/metrics/scoremap.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wsol/util/status_matchers.h"

namespace wsol::metrics {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

TEST(CheckScoremapTest, AcceptsFloatMapsInUnitRange) {
  EXPECT_THAT(CheckScoremap(cv::Mat(3, 4, CV_32FC1, cv::Scalar(0.5))), IsOk());
  cv::Mat map = cv::Mat::zeros(2, 2, CV_64FC1);
  map.at<double>(1, 1) = 1.0;
  EXPECT_THAT(CheckScoremap(map), IsOk());
}

TEST(CheckScoremapTest, RejectsWrongShapeAndType) {
  EXPECT_THAT(CheckScoremap(cv::Mat(), "a.jpg"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a.jpg: empty")));
  EXPECT_THAT(CheckScoremap(cv::Mat(2, 2, CV_32FC3, cv::Scalar(0)), "b.jpg"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("b.jpg"), HasSubstr("3 channels"))));
  EXPECT_THAT(
      CheckScoremap(cv::Mat(2, 2, CV_8UC1, cv::Scalar(0)), "c.jpg"),
      StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("c.jpg"), HasSubstr("uint8"))));
}

TEST(CheckScoremapTest, NamesTheNanPosition) {
  cv::Mat map(3, 3, CV_64FC1, cv::Scalar(2.0));  // Out of range too: NaN is named first.
  map.at<double>(1, 2) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(CheckScoremap(map, "d.jpg"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                    HasSubstr("d.jpg: NaN at row 1, column 2")));
}

TEST(CheckScoremapTest, NamesTheValueOutOfRange) {
  cv::Mat map(2, 3, CV_32FC1, cv::Scalar(0.25));
  map.at<float>(0, 1) = 1.5f;
  EXPECT_THAT(CheckScoremap(map, "e.jpg"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("e.jpg: value 1.5 at row 0, column 1"),
                             HasSubstr("outside [0, 1]"))));
  map.at<float>(0, 1) = -std::numeric_limits<float>::infinity();
  EXPECT_THAT(CheckScoremap(map), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("value -inf at row 0, column 1")));
}

TEST(NormalizeCamTest, MinMaxToUnitRange) {
  // (x - 1) / (9 - 1): 1 -> 0, 3 -> 0.25, 5 -> 0.5, 9 -> 1, all exact.
  const cv::Mat cam = (cv::Mat_<float>(1, 4) << 3, 1, 9, 5);
  absl::StatusOr<cv::Mat> normalized = NormalizeCam(cam);
  ASSERT_THAT(normalized, IsOk());
  EXPECT_EQ(normalized->type(), CV_32FC1);
  EXPECT_THAT(std::vector<float>(normalized->begin<float>(), normalized->end<float>()),
              ElementsAre(0.25f, 0.0f, 1.0f, 0.5f));
}

TEST(NormalizeCamTest, KeepsDoublePrecision) {
  // 1/3 in double: (1/3 - 0) / (1 - 0).
  const cv::Mat cam = (cv::Mat_<double>(1, 3) << 0.0, 1.0 / 3.0, 1.0);
  absl::StatusOr<cv::Mat> normalized = NormalizeCam(cam);
  ASSERT_THAT(normalized, IsOk());
  EXPECT_EQ(normalized->type(), CV_64FC1);
  EXPECT_EQ(normalized->at<double>(0, 1), 1.0 / 3.0);
}

TEST(NormalizeCamTest, ConstantAndNanMapsBecomeZeros) {
  for (const double fill : {0.7, std::numeric_limits<double>::quiet_NaN()}) {
    cv::Mat cam(2, 3, CV_64FC1, cv::Scalar(0.7));
    cam.at<double>(1, 1) = fill;
    absl::StatusOr<cv::Mat> normalized = NormalizeCam(cam);
    ASSERT_THAT(normalized, IsOk());
    EXPECT_EQ(cv::countNonZero(*normalized), 0) << "fill " << fill;
  }
  EXPECT_THAT(NormalizeCam(cv::Mat(2, 2, CV_8UC1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("uint8")));
}

TEST(QuantizeScoremapTest, TruncatesScoreTimes255) {
  // 0.1 * 255 = 25.5 -> 25; 0.2 * 255 = 51; 0.6 * 255 = 153 (both round to integers);
  // 0.999 * 255 = 254.745 -> 254; 1 -> 255.
  const cv::Mat map = (cv::Mat_<double>(1, 6) << 0.0, 0.1, 0.2, 0.6, 0.999, 1.0);
  const cv::Mat q = QuantizeScoremap(map);
  EXPECT_EQ(q.type(), CV_8UC1);
  EXPECT_THAT(std::vector<uint8_t>(q.begin<uint8_t>(), q.end<uint8_t>()),
              ElementsAre(0, 25, 51, 153, 254, 255));
  // float32 0.6f is 0.60000002384185791 in double: 153.00000608 -> 153.
  const cv::Mat q32 = QuantizeScoremap((cv::Mat_<float>(1, 2) << 0.6f, 0.5f));
  EXPECT_EQ(q32.at<uint8_t>(0, 0), 153);
  EXPECT_EQ(q32.at<uint8_t>(0, 1), 127);  // 127.5 -> 127.
}

TEST(CamThresholdsTest, MatchesNumpyArange) {
  // numpy.arange(0, 1, 0.2) = [0, 0.2, 0.4, 0.6000000000000001, 0.8].
  absl::StatusOr<std::vector<double>> t = CamThresholds(0.2);
  ASSERT_THAT(t, IsOk());
  EXPECT_THAT(*t, ElementsAre(0.0, 0.2, 0.4, 0.6000000000000001, 0.8));
  // Lengths are ceil(1 / d): 100, 1000, 4 (0.3 -> [0, 0.3, 0.6, 0.8999999999999999]), 7.
  EXPECT_EQ(CamThresholds(0.01)->size(), 100u);
  EXPECT_EQ(CamThresholds(0.001)->size(), 1000u);
  EXPECT_EQ(CamThresholds(0.3)->size(), 4u);
  EXPECT_EQ(CamThresholds(0.3)->back(), 0.8999999999999999);
  EXPECT_EQ(CamThresholds(0.15)->size(), 7u);
  // numpy.arange(0, 1, 0.01)[57] = 0.5700000000000001, not 0.57.
  EXPECT_EQ((*CamThresholds(0.01))[57], 0.5700000000000001);
  EXPECT_THAT(*CamThresholds(2.0), ElementsAre(0.0));
}

TEST(CamThresholdsTest, RejectsNonPositiveIntervals) {
  for (const double d : {0.0, -0.1, std::numeric_limits<double>::quiet_NaN()}) {
    EXPECT_THAT(CamThresholds(d),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("CAM curve interval")));
  }
}

TEST(ThresholdLevelTest, TruncatesTheProduct) {
  EXPECT_EQ(ThresholdLevel(0.2, 255), 51);
  EXPECT_EQ(ThresholdLevel(0.6000000000000001, 255), 153);  // 153.00000000000003.
  EXPECT_EQ(ThresholdLevel(0.999, 255), 254);
  EXPECT_EQ(ThresholdLevel(0.5, 127), 63);  // 63.5.
  EXPECT_EQ(ThresholdLevel(0.8, 0), 0);
}

}  // namespace
}  // namespace wsol::metrics
