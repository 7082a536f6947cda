#include "wsol/metrics/split_scores.h"

#include <cmath>

#include "gtest/gtest.h"
#include "wsol/util/status_matchers.h"

namespace wsol::metrics {
namespace {

using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

// A 4x4 map: `left` in columns 0-1, `right` in columns 2-3.
cv::Mat Halves(float left, float right) {
  cv::Mat map(4, 4, CV_32F, cv::Scalar(right));
  map(cv::Rect(0, 0, 2, 4)).setTo(cv::Scalar(left));
  return map;
}

cv::Mat HalfMask(bool left_foreground) {
  cv::Mat mask(4, 4, CV_8UC1, cv::Scalar(kMaskBackground));
  mask(cv::Rect(left_foreground ? 0 : 2, 0, 2, 4)).setTo(cv::Scalar(kMaskForeground));
  return mask;
}

TEST(SplitScoresTest, TwoLabelImageWorkedByHand) {
  // One image with labels 0 and 2 of 3 classes. Class 0's object fills the left half,
  // class 2's the right half. Class 0's CAM is right (0.9 left, 0.1 right); class 2's
  // CAM points at the wrong half (also 0.9 left, 0.1 right).
  //   PxAP of class 0: at every threshold down to 0.9 the 8 predicted pixels are all
  //     foreground (precision 1) and recall jumps 0 -> 1 there: AP = 1 * 1 = 100%.
  //   PxAP of class 2: the first 8 pixels predicted (at 0.9) are all background
  //     (precision 0, recall 0); at 0.1 all 16 pixels, 8 of them foreground (precision
  //     0.5, recall 0 -> 1): AP = 0.5 * 1 = 50%.
  //   mPxAP = (100 + 50) / 2 = 75; class 1 has no pixel and is left out.
  //   Pooled PxAP over both pairs: at 0.9, 16 pixels, 8 foreground (precision 0.5, recall
  //     0 -> 0.5); at 0.1, 32 pixels, 16 foreground (precision 0.5, recall 0.5 -> 1):
  //     AP = 0.5 * 0.5 + 0.5 * 0.5 = 50%.
  absl::StatusOr<SplitScores> scores = SplitScores::Create(
      {.cam_curve_interval = 0.01, .masks = true, .multi_label = true, .num_classes = 3});
  ASSERT_THAT(scores, IsOk());
  const ImageTruth truth{.labels = {0, 2}, .masks = {HalfMask(true), HalfMask(false)}};
  ASSERT_THAT(scores->Add(truth, {Halves(0.9f, 0.1f), Halves(0.9f, 0.1f)}), IsOk());
  absl::StatusOr<SplitScoresResult> result = scores->Compute();
  ASSERT_THAT(result, IsOk());
  ASSERT_TRUE(result->mean_pxap.has_value());
  EXPECT_DOUBLE_EQ(result->mean_pxap->per_class[0], 100.0);
  EXPECT_TRUE(std::isnan(result->mean_pxap->per_class[1]));
  EXPECT_DOUBLE_EQ(result->mean_pxap->per_class[2], 50.0);
  EXPECT_EQ(result->mean_pxap->num_classes_scored, 2);
  EXPECT_DOUBLE_EQ(result->mean_pxap->mean_pxap, 75.0);
  ASSERT_TRUE(result->pxap.has_value());
  EXPECT_DOUBLE_EQ(result->pxap->pxap, 50.0);
  EXPECT_FALSE(result->max_box_acc_v2.has_value());
  EXPECT_EQ(result->num_images, 1);
}

TEST(SplitScoresTest, SingleLabelMasksScoreOneMapAgainstTheUnion) {
  // wsolevaluation's single-label scoring: the image's CAM against its (union) mask.
  absl::StatusOr<SplitScores> scores =
      SplitScores::Create({.cam_curve_interval = 0.01, .masks = true});
  ASSERT_THAT(scores, IsOk());
  ASSERT_THAT(scores->Add({.labels = {1}, .masks = {HalfMask(true)}}, {Halves(0.9f, 0.1f)}),
              IsOk());
  absl::StatusOr<SplitScoresResult> result = scores->Compute();
  ASSERT_THAT(result, IsOk());
  EXPECT_DOUBLE_EQ(result->pxap->pxap, 100.0);
  EXPECT_FALSE(result->mean_pxap.has_value());
}

TEST(SplitScoresTest, BoxesGiveMaxBoxAccV2AndOptionallyMaxBoxAcc) {
  // The map is 1 on columns 0-1 and 0 elsewhere. wsolevaluation turns the contour into
  // (x, y, x + w, y + h) = (0, 0, 2, 4) at every threshold, so a ground-truth box
  // (0, 0, 2, 4) is found exactly (IoU 1) and every accuracy is 100%.
  absl::StatusOr<SplitScores> scores =
      SplitScores::Create({.cam_curve_interval = 0.1, .boxes = true, .max_box_acc = true});
  ASSERT_THAT(scores, IsOk());
  ASSERT_THAT(scores->Add({.labels = {0}, .boxes = {Box{0, 0, 2, 4}}}, {Halves(1.0f, 0.0f)},
                          /*class_correct=*/false),
              IsOk());
  absl::StatusOr<SplitScoresResult> result = scores->Compute();
  ASSERT_THAT(result, IsOk());
  EXPECT_DOUBLE_EQ(result->max_box_acc_v2->max_box_acc_mean, 100.0);
  ASSERT_TRUE(result->max_box_acc.has_value());
  EXPECT_DOUBLE_EQ(result->max_box_acc->gt_known_loc_at_sigma, 100.0);
  EXPECT_DOUBLE_EQ(result->max_box_acc->top1_loc_at_sigma, 0.0);  // class wrong
}

TEST(SplitScoresTest, InconsistentImagesAreRefusedAndCountNothing) {
  absl::StatusOr<SplitScores> scores = SplitScores::Create(
      {.cam_curve_interval = 0.01, .masks = true, .multi_label = true, .num_classes = 3});
  ASSERT_THAT(scores, IsOk());
  // One map for two labels.
  EXPECT_THAT(scores->Add({.labels = {0, 2}, .masks = {HalfMask(true), HalfMask(false)}},
                          {Halves(0.9f, 0.1f)}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // One mask for two labels.
  EXPECT_THAT(scores->Add({.labels = {0, 2}, .masks = {HalfMask(true)}},
                          {Halves(0.9f, 0.1f), Halves(0.9f, 0.1f)}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A label out of range: the first pair would have been valid, yet nothing is counted.
  EXPECT_THAT(scores->Add({.labels = {0, 3}, .masks = {HalfMask(true), HalfMask(false)}},
                          {Halves(0.9f, 0.1f), Halves(0.9f, 0.1f)}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(scores->num_images(), 0);
  EXPECT_THAT(scores->Compute(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(SplitScores::Create({.masks = true, .multi_label = true}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SplitScores::Create({}), StatusIs(absl::StatusCode::kInvalidArgument));
}

// A data-parallel evaluation: two processes score halves of the images; the sum of their
// count lists, merged into a fresh SplitScores, scores exactly as one that saw them all.
TEST(SplitScoresTest, SummedCountListsScoreAsOneProcess) {
  const SplitScoresOptions options{
      .cam_curve_interval = 0.05, .boxes = true, .masks = true, .max_box_acc = true};
  const std::vector<std::pair<ImageTruth, cv::Mat>> images = {
      {{.labels = {0}, .boxes = {Box{0, 0, 2, 4}}, .masks = {HalfMask(true)}}, Halves(0.9f, 0.2f)},
      {{.labels = {1}, .boxes = {Box{2, 0, 4, 4}}, .masks = {HalfMask(false)}}, Halves(0.7f, 0.3f)},
      {{.labels = {0}, .boxes = {Box{0, 0, 4, 4}}, .masks = {HalfMask(true)}}, Halves(0.4f, 0.6f)},
  };
  absl::StatusOr<SplitScores> all = SplitScores::Create(options);
  absl::StatusOr<SplitScores> first = SplitScores::Create(options);
  absl::StatusOr<SplitScores> second = SplitScores::Create(options);
  absl::StatusOr<SplitScores> merged = SplitScores::Create(options);
  ASSERT_THAT(all, IsOk());
  for (size_t i = 0; i < images.size(); ++i) {
    ASSERT_THAT(all->Add(images[i].first, {images[i].second}, i != 1), IsOk());
    ASSERT_THAT((i == 1 ? *second : *first).Add(images[i].first, {images[i].second}, i != 1),
                IsOk());
  }
  std::vector<int64_t> sum = first->Counts();
  const std::vector<int64_t> other = second->Counts();
  ASSERT_EQ(sum.size(), other.size());
  for (size_t k = 0; k < sum.size(); ++k) sum[k] += other[k];
  ASSERT_THAT(merged->MergeCounts(sum), IsOk());
  EXPECT_EQ(merged->Counts(), all->Counts());
  absl::StatusOr<SplitScoresResult> a = all->Compute();
  absl::StatusOr<SplitScoresResult> m = merged->Compute();
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->num_images, 3);
  EXPECT_EQ(m->max_box_acc_v2->max_box_acc, a->max_box_acc_v2->max_box_acc);
  EXPECT_EQ(m->max_box_acc->gt_known_loc_at_sigma, a->max_box_acc->gt_known_loc_at_sigma);
  EXPECT_EQ(m->max_box_acc->top1_loc_at_sigma, a->max_box_acc->top1_loc_at_sigma);
  EXPECT_EQ(m->pxap->pxap, a->pxap->pxap);
  // A list of other options is refused by its length.
  sum.pop_back();
  EXPECT_THAT(merged->MergeCounts(sum), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace wsol::metrics
