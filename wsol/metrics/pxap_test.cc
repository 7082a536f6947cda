#include "wsol/metrics/pxap.h"

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "wsol/util/status_matchers.h"

namespace wsol::metrics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

constexpr uint8_t F = kMaskForeground, B = kMaskBackground, I = kMaskIgnore;

TEST(NumpySumTest, MatchesNumpyPairwiseSummation) {
  // Recorded with numpy 1.24.2; a left-to-right sum gives the second value.
  std::vector<double> big_and_ones = {1e16, 1, 1, 1, 1, 1, 1, 1, 1};
  EXPECT_EQ(NumpySum(big_and_ones), 1.0000000000000008e+16);  // Left to right: 1e16.
  EXPECT_EQ(NumpySum(std::vector<double>(200, 0.1)), 20.0);   // 20.000000000000014.
  // 20000 values: numpy feeds its pairwise sum in buffers of 8192 (without the buffers
  // it would be 205989.69999999998; left to right 205989.69999999995).
  std::vector<double> long_run;
  for (int i = 0; i < 20000; ++i) long_run.push_back(static_cast<double>(i % 7) * 0.1 + 1e-3 * i);
  EXPECT_EQ(NumpySum(long_run), 205989.7);
  EXPECT_EQ(NumpySum({}), 0.0);
}

TEST(PxapTest, HandWorkedSmallMap) {
  // Interval 0.25: bins [0, .25), [.25, .5), [.5, .75), [.75, 1), [1, 2), [2, 3].
  //   foreground 0.9 (bin 3), 0.6 (bin 2), 0.1 (bin 0); background 0.3 (bin 1), 0.7
  //   (bin 2); the 1.0 pixel is ignored.
  // From the top: tp = 0, 0, 1, 2, 2, 3 and fp = 0, 0, 0, 1, 2, 2, so precision is
  // undefined, undefined, 1, 2/3, 2/4, 3/5 and recall 0, 0, 1/3, 2/3, 2/3, 1.
  // PxAP = 1 * 1/3 + 2/3 * 1/3 + 1/2 * 0 + 3/5 * 1/3 = 34/45 = 75.56%.
  const cv::Mat map = (cv::Mat_<double>(2, 3) << 0.9, 0.6, 0.3, 0.7, 0.1, 1.0);
  const cv::Mat mask = (cv::Mat_<uint8_t>(2, 3) << F, F, B, B, F, I);
  absl::StatusOr<Pxap> pxap = Pxap::Create({.cam_curve_interval = 0.25});
  ASSERT_THAT(pxap, IsOk());
  ASSERT_THAT(pxap->Add(map, mask), IsOk());
  absl::StatusOr<PxapResult> r = pxap->Compute();
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(r->gt_true_hist, ElementsAre(1, 0, 1, 1, 0, 0));
  EXPECT_THAT(r->gt_false_hist, ElementsAre(0, 1, 1, 0, 0, 0));
  EXPECT_TRUE(std::isnan(r->precision[0]) && std::isnan(r->precision[1]));
  EXPECT_DOUBLE_EQ(r->precision[3], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r->recall[5], 1.0);
  EXPECT_NEAR(r->pxap, 100.0 * 34.0 / 45.0, 1e-12);
  EXPECT_EQ(r->num_images, 1);
}

TEST(PxapTest, PerfectAndConstantMaps) {
  // Foreground at 1 and background at 0: precision 1 at full recall -> 100.
  const cv::Mat mask = (cv::Mat_<uint8_t>(2, 4) << F, F, B, B, B, B, B, B);
  cv::Mat perfect = cv::Mat::zeros(2, 4, CV_32FC1);
  perfect.at<float>(0, 0) = perfect.at<float>(0, 1) = 1.0f;
  absl::StatusOr<Pxap> pxap = Pxap::Create({});
  ASSERT_THAT(pxap->Add(perfect, mask), IsOk());
  EXPECT_EQ(pxap->Compute()->pxap, 100.0);
  // A constant map puts every pixel in one bin: one step to recall 1 at precision
  // 2 / 8 -> 25.
  absl::StatusOr<Pxap> constant = Pxap::Create({});
  ASSERT_THAT(constant->Add(cv::Mat(2, 4, CV_64FC1, cv::Scalar(0.5)), mask), IsOk());
  EXPECT_EQ(constant->Compute()->pxap, 25.0);
}

TEST(PxapTest, BinsCompareInDoubleLikeNumpyHistogram) {
  // Interval 0.1: the edge 3 * 0.1 is 0.30000000000000004, so the double 0.3 falls in
  // [0.2, 0.30000000000000004) (bin 2) while float32 0.3f = 0.30000001192092896 falls
  // in bin 3 (numpy.histogram gives the same).
  const cv::Mat mask = (cv::Mat_<uint8_t>(1, 1) << F);
  absl::StatusOr<Pxap> pxap = Pxap::Create({.cam_curve_interval = 0.1});
  ASSERT_THAT(pxap->Add((cv::Mat_<double>(1, 1) << 0.3), mask), IsOk());
  ASSERT_THAT(pxap->Add((cv::Mat_<float>(1, 1) << 0.3f), mask), IsOk());
  EXPECT_THAT(pxap->Compute()->gt_true_hist, ElementsAre(0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0));
}

TEST(PxapTest, MergeEqualsOneAccumulator) {
  const cv::Mat a = (cv::Mat_<double>(1, 4) << 0.1, 0.5, 0.8, 0.95);
  const cv::Mat b = (cv::Mat_<double>(1, 4) << 0.3, 0.35, 0.6, 0.2);
  const cv::Mat mask_a = (cv::Mat_<uint8_t>(1, 4) << B, F, F, B);
  const cv::Mat mask_b = (cv::Mat_<uint8_t>(1, 4) << F, B, I, F);
  absl::StatusOr<Pxap> one = Pxap::Create({}), left = Pxap::Create({}), right = Pxap::Create({});
  ASSERT_THAT(one->Add(a, mask_a), IsOk());
  ASSERT_THAT(one->Add(b, mask_b), IsOk());
  ASSERT_THAT(left->Add(a, mask_a), IsOk());
  ASSERT_THAT(right->Add(b, mask_b), IsOk());
  ASSERT_THAT(left->Merge(*right), IsOk());
  EXPECT_EQ(left->Compute()->pxap, one->Compute()->pxap);
  EXPECT_EQ(left->num_images(), 2);
  absl::StatusOr<Pxap> other = Pxap::Create({.cam_curve_interval = 0.001});
  EXPECT_THAT(left->Merge(*other), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PxapTest, ErrorsNameTheProblem) {
  absl::StatusOr<Pxap> pxap = Pxap::Create({});
  EXPECT_THAT(pxap->Compute(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                        HasSubstr("no ground-truth foreground")));
  const cv::Mat map(1, 2, CV_64FC1, cv::Scalar(0.5));
  EXPECT_THAT(pxap->Add(map, (cv::Mat_<uint8_t>(1, 2) << F, 7)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("value 7 at row 0")));
  EXPECT_THAT(pxap->Add(map, cv::Mat(2, 2, CV_8UC1, cv::Scalar(0))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2x1")));
  EXPECT_EQ(pxap->num_images(), 0);
  EXPECT_THAT(Pxap::Create({.cam_curve_interval = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Only background pixels: wsolevaluation raises "No positive ground truth".
  ASSERT_THAT(pxap->Add(map, (cv::Mat_<uint8_t>(1, 2) << B, B)), IsOk());
  EXPECT_THAT(pxap->Compute(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ResizeNearestTest, PicksOpenCvSourcePixels) {
  // 3 -> 7 columns: 1 / (7 / 3) = 0.42857..., floor(x * 0.42857) = 0 0 0 1 1 2 2.
  const cv::Mat row = (cv::Mat_<uint8_t>(1, 3) << 10, 20, 30);
  const cv::Mat up = ResizeNearest(row, cv::Size(7, 1));
  EXPECT_THAT(std::vector<uint8_t>(up.begin<uint8_t>(), up.end<uint8_t>()),
              ElementsAre(10, 10, 10, 20, 20, 30, 30));
  // 5 -> 2 columns: scale 2.5, columns 0 and 2.
  const cv::Mat wide = (cv::Mat_<uint8_t>(1, 5) << 1, 2, 3, 4, 5);
  const cv::Mat down = ResizeNearest(wide, cv::Size(2, 1));
  EXPECT_THAT(std::vector<uint8_t>(down.begin<uint8_t>(), down.end<uint8_t>()), ElementsAre(1, 3));
}

TEST(BuildGtMaskTest, OrsInstancesAndIgnoresTheRestOfTheIgnoreBox) {
  // Two 2 x 4 instances (any non-zero value is on), an ignore box over columns 1..3 of
  // both rows; resized 1:1. Foreground wins over ignore.
  const cv::Mat first = (cv::Mat_<uint8_t>(2, 4) << 255, 0, 0, 0, 0, 0, 0, 0);
  const cv::Mat second = (cv::Mat_<uint8_t>(2, 4) << 0, 0, 1, 0, 0, 0, 0, 0);
  const cv::Mat ignore = (cv::Mat_<uint8_t>(2, 4) << 0, 9, 9, 9, 0, 9, 9, 9);
  absl::StatusOr<cv::Mat> mask = BuildGtMask({first, second}, ignore, cv::Size(4, 2));
  ASSERT_THAT(mask, IsOk());
  EXPECT_THAT(std::vector<uint8_t>(mask->begin<uint8_t>(), mask->end<uint8_t>()),
              ElementsAre(F, I, F, I, B, I, I, I));
  // Without an ignore mask nothing is ignored.
  mask = BuildGtMask({first}, cv::Mat(), cv::Size(4, 2));
  ASSERT_THAT(mask, IsOk());
  EXPECT_THAT(std::vector<uint8_t>(mask->begin<uint8_t>(), mask->end<uint8_t>()),
              ElementsAre(F, B, B, B, B, B, B, B));
}

TEST(LoadGtMaskTest, ReadsPngsAndNamesMissingFiles) {
  const std::string root = ::testing::TempDir();
  cv::Mat instance = cv::Mat::zeros(4, 6, CV_8UC1);
  instance(cv::Rect(0, 0, 3, 2)).setTo(200);
  ASSERT_TRUE(cv::imwrite(root + "/inst.png", instance));
  cv::Mat ignore = cv::Mat::zeros(4, 6, CV_8UC1);
  ignore(cv::Rect(0, 0, 6, 4)).setTo(255);
  ASSERT_TRUE(cv::imwrite(root + "/ign.png", ignore));
  // Halving 6 x 4 -> 3 x 2 picks source columns 0, 2, 4 and rows 0, 2: the instance
  // covers (0, 0) and (2, 0) -> columns 0, 1 of row 0; everything else is ignored.
  absl::StatusOr<cv::Mat> mask = LoadGtMask(root, {"inst.png"}, "ign.png", cv::Size(3, 2));
  ASSERT_THAT(mask, IsOk());
  EXPECT_THAT(std::vector<uint8_t>(mask->begin<uint8_t>(), mask->end<uint8_t>()),
              ElementsAre(F, F, I, I, I, I));
  EXPECT_THAT(LoadGtMask(root, {"inst.png", "missing.png"}, "", cv::Size(3, 2)),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.png")));
}

TEST(MeanPxapTest, AveragesClassesWithForeground) {
  absl::StatusOr<MeanPxap> mean = MeanPxap::Create(3, {});
  ASSERT_THAT(mean, IsOk());
  const cv::Mat mask = (cv::Mat_<uint8_t>(1, 4) << F, B, B, B);
  // Class 0 perfect (100); class 1 constant (1 of 4 foreground: 25); class 2 no
  // foreground: left out. Mean (100 + 25) / 2 = 62.5.
  ASSERT_THAT(mean->Add(0, (cv::Mat_<double>(1, 4) << 1, 0, 0, 0), mask), IsOk());
  ASSERT_THAT(mean->Add(1, cv::Mat(1, 4, CV_64FC1, cv::Scalar(0.3)), mask), IsOk());
  ASSERT_THAT(
      mean->Add(2, cv::Mat(1, 4, CV_64FC1, cv::Scalar(0.3)), cv::Mat(1, 4, CV_8UC1, cv::Scalar(B))),
      IsOk());
  EXPECT_THAT(mean->Add(3, cv::Mat(1, 4, CV_64FC1, cv::Scalar(0.3)), mask),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("class 3")));
  absl::StatusOr<MeanPxapResult> r = mean->Compute();
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->per_class[0], 100.0);
  EXPECT_EQ(r->per_class[1], 25.0);
  EXPECT_TRUE(std::isnan(r->per_class[2]));
  EXPECT_EQ(r->num_classes_scored, 2);
  EXPECT_EQ(r->mean_pxap, 62.5);
}

}  // namespace
}  // namespace wsol::metrics
