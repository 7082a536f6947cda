#include "wsol/metrics/box_accuracy.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wsol/util/status_matchers.h"

namespace wsol::metrics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

// The maps of scoremap_boxes_test.cc. With CAM thresholds 0, 0.2, 0.4, 0.6, 0.8:
// unimodal boxes (0, 1, 5, 4), (1, 1, 5, 4), (2, 1, 4, 4), (2, 2, 4, 4), (2, 2, 4, 3);
// multimodal largest-contour boxes (0, 0, 3, 3) x3, (5, 1, 7, 3), (5, 1, 6, 3), and
// with every contour the peak box (5, 1, 7, 3) is there from t = 0 to t = 0.6.
cv::Mat UnimodalMap() {
  return (cv::Mat_<double>(5, 6) << 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,  //
          0.0, 0.3, 0.5, 0.5, 0.3, 0.0,                            //
          0.1, 0.3, 1.0, 0.9, 0.3, 0.0,                            //
          0.0, 0.3, 0.7, 0.5, 0.3, 0.0,                            //
          0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
}

cv::Mat MultimodalMap() {
  return (cv::Mat_<double>(6, 8) << 0.6, 0.6, 0.6, 0.0, 0.0, 0.0, 0.0, 0.0,  //
          0.6, 0.2, 0.6, 0.0, 0.0, 0.9, 0.0, 0.0,                            //
          0.6, 0.6, 0.6, 0.0, 0.0, 1.0, 0.8, 0.0,                            //
          0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,                            //
          0.0, 0.3, 0.3, 0.3, 0.3, 0.0, 0.5, 0.0,                            //
          0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5);
}

// Three images:
//   A: the unimodal map, GT (2, 1, 4, 4) (12 pixels), class right. IoUs per threshold:
//      12/24 = 0.5, 12/20 = 0.6, 1, 9/12 = 0.75, 6/12 = 0.5.
//   B: the multimodal map, GT (5, 1, 7, 3) (9 pixels), class wrong. Largest contour:
//      0, 0, 0, 1, 6/9; every contour: 1, 1, 1, 1, 6/9.
//   C: an all-zero map (box (0, 0, 0, 0)), GT (3, 3, 4, 4): IoU 0 everywhere, class right.
// Sigma 0.5 is level int(0.5 * 255) = 127: A gives (2, 2, 4, 4) (IoU 0.75, correct);
// B gives the ring square as largest contour (IoU 0) but the peak among all contours (1).
void AddThreeImages(BoxAccuracy& acc) {
  ASSERT_THAT(acc.Add(UnimodalMap(), {{2, 1, 4, 4}}, /*class_correct=*/true), IsOk());
  ASSERT_THAT(acc.Add(MultimodalMap(), {{5, 1, 7, 3}}, /*class_correct=*/false), IsOk());
  ASSERT_THAT(acc.Add(cv::Mat::zeros(6, 6, CV_32FC1), {{3, 3, 4, 4}}, true), IsOk());
}

TEST(BoxAccuracyTest, HandWorkedLargestContour) {
  absl::StatusOr<BoxAccuracy> acc =
      BoxAccuracy::Create({.cam_curve_interval = 0.2, .multi_contour = false, .sigma = 0.5});
  ASSERT_THAT(acc, IsOk());
  AddThreeImages(*acc);
  absl::StatusOr<BoxAccuracyResult> r = acc->Compute();
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->num_images, 3);
  // IoU >= 0.3 and >= 0.5: A at every threshold, B at 0.6 and 0.8.
  // IoU >= 0.7: A at 0.4 and 0.6, B at 0.6.
  EXPECT_THAT(r->num_correct, ElementsAre(ElementsAre(1, 1, 1, 2, 2), ElementsAre(1, 1, 1, 2, 2),
                                          ElementsAre(0, 0, 1, 2, 0)));
  // Best 2 of 3 images, first reached at t = 0.6000000000000001 for every IoU.
  EXPECT_THAT(r->max_box_acc, ElementsAre(200.0 / 3, 200.0 / 3, 200.0 / 3));
  EXPECT_THAT(r->best_cam_threshold,
              ElementsAre(0.6000000000000001, 0.6000000000000001, 0.6000000000000001));
  EXPECT_EQ(r->max_box_acc_mean, (200.0 / 3 + 200.0 / 3 + 200.0 / 3) / 3);
  // At sigma only A is right (B's largest contour is the ring): 1 of 3 for both.
  EXPECT_EQ(r->gt_known_loc_at_sigma, 100.0 / 3);
  EXPECT_EQ(r->top1_loc_at_sigma, 100.0 / 3);
  // Best GT-known threshold 0.6 (A and B); B's class is wrong, so Top-1 keeps A only.
  EXPECT_EQ(r->best_loc_cam_threshold, 0.6000000000000001);
  EXPECT_EQ(r->gt_known_loc_at_best, 200.0 / 3);
  EXPECT_EQ(r->top1_loc_at_best, 100.0 / 3);
}

TEST(BoxAccuracyTest, HandWorkedAllContours) {
  absl::StatusOr<BoxAccuracy> acc =
      BoxAccuracy::Create({.cam_curve_interval = 0.2, .multi_contour = true, .sigma = 0.5});
  ASSERT_THAT(acc, IsOk());
  AddThreeImages(*acc);
  absl::StatusOr<BoxAccuracyResult> r = acc->Compute();
  ASSERT_THAT(r, IsOk());
  // IoU >= 0.3 and 0.5: A and B everywhere. IoU >= 0.7: A at 0.4, 0.6; B up to 0.6.
  EXPECT_THAT(r->num_correct, ElementsAre(ElementsAre(2, 2, 2, 2, 2), ElementsAre(2, 2, 2, 2, 2),
                                          ElementsAre(1, 1, 2, 2, 0)));
  EXPECT_THAT(r->max_box_acc, ElementsAre(200.0 / 3, 200.0 / 3, 200.0 / 3));
  EXPECT_THAT(r->best_cam_threshold, ElementsAre(0.0, 0.0, 0.4));
  // At sigma A and B are right; only A has the right class.
  EXPECT_EQ(r->gt_known_loc_at_sigma, 200.0 / 3);
  EXPECT_EQ(r->top1_loc_at_sigma, 100.0 / 3);
  EXPECT_EQ(r->best_loc_cam_threshold, 0.0);
  EXPECT_EQ(r->gt_known_loc_at_best, 200.0 / 3);
  EXPECT_EQ(r->top1_loc_at_best, 100.0 / 3);
}

// MaxBoxAccV2 is the mean over the IoU thresholds of each threshold's best accuracy.
// Largest contour, IoU 50 and 90: at IoU >= 0.5 the best CAM threshold is 0.6 (A: 0.75,
// B: 1) -> 2 of 3; at IoU >= 0.9 A reaches 1 only at 0.4 and B only at 0.6 -> 1 of 3. The
// mean is (66.67 + 33.33) / 2 = 50, not the first threshold's 66.67.
TEST(BoxAccuracyTest, MaxBoxAccV2IsTheMeanOverUnequalThresholds) {
  absl::StatusOr<BoxAccuracy> acc = BoxAccuracy::Create(
      {.cam_curve_interval = 0.2, .iou_thresholds = {50, 90}, .multi_contour = false});
  ASSERT_THAT(acc, IsOk());
  AddThreeImages(*acc);
  absl::StatusOr<BoxAccuracyResult> r = acc->Compute();
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->max_box_acc.size(), 2u);
  EXPECT_DOUBLE_EQ(r->max_box_acc[0], 200.0 / 3);
  EXPECT_DOUBLE_EQ(r->max_box_acc[1], 100.0 / 3);
  EXPECT_DOUBLE_EQ(r->max_box_acc_mean, 50.0);
}

TEST(BoxAccuracyTest, MergeEqualsOneAccumulator) {
  const BoxAccuracyOptions options{.cam_curve_interval = 0.01, .multi_contour = true};
  absl::StatusOr<BoxAccuracy> all = BoxAccuracy::Create(options);
  absl::StatusOr<BoxAccuracy> first = BoxAccuracy::Create(options);
  absl::StatusOr<BoxAccuracy> second = BoxAccuracy::Create(options);
  AddThreeImages(*all);
  ASSERT_THAT(first->Add(UnimodalMap(), {{2, 1, 4, 4}}, true), IsOk());
  ASSERT_THAT(second->Add(MultimodalMap(), {{5, 1, 7, 3}}, false), IsOk());
  ASSERT_THAT(second->Add(cv::Mat::zeros(6, 6, CV_32FC1), {{3, 3, 4, 4}}, true), IsOk());
  ASSERT_THAT(first->Merge(*second), IsOk());
  EXPECT_EQ(first->Compute()->num_correct, all->Compute()->num_correct);
  EXPECT_EQ(first->Compute()->top1_loc_at_sigma, all->Compute()->top1_loc_at_sigma);

  absl::StatusOr<BoxAccuracy> single =
      BoxAccuracy::Create({.cam_curve_interval = 0.01, .multi_contour = false});
  EXPECT_THAT(first->Merge(*single),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("different options")));
}

TEST(BoxAccuracyTest, SeveralGroundTruthBoxesTakeTheBest) {
  // The unimodal map at t = 0.4 gives (2, 1, 4, 4): a far GT box does not hurt.
  absl::StatusOr<BoxAccuracy> acc =
      BoxAccuracy::Create({.cam_curve_interval = 0.2, .iou_thresholds = {90}});
  ASSERT_THAT(acc->Add(UnimodalMap(), {{0, 0, 0, 0}, {2, 1, 4, 4}}), IsOk());
  EXPECT_THAT(acc->Compute()->num_correct, ElementsAre(ElementsAre(0, 0, 1, 0, 0)));
}

TEST(BoxAccuracyTest, RejectsBadInputAndOptions) {
  absl::StatusOr<BoxAccuracy> acc = BoxAccuracy::Create({});
  ASSERT_THAT(acc, IsOk());
  EXPECT_THAT(acc->Compute(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(acc->Add(UnimodalMap(), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no ground-truth box")));
  cv::Mat bad = UnimodalMap();
  bad.at<double>(0, 0) = 2.0;
  EXPECT_THAT(acc->Add(bad, {{0, 0, 1, 1}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("outside [0, 1]")));
  EXPECT_EQ(acc->num_images(), 0);

  EXPECT_THAT(BoxAccuracy::Create({.iou_thresholds = {}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("iou_thresholds")));
  EXPECT_THAT(BoxAccuracy::Create({.iou_thresholds = {50, 150}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("[50, 150]")));
  EXPECT_THAT(BoxAccuracy::Create({.sigma = 1.0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sigma")));
  EXPECT_THAT(BoxAccuracy::Create({.cam_curve_interval = -1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("interval")));
}

}  // namespace
}  // namespace wsol::metrics
