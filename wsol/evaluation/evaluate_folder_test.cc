// EvaluateFolder on a multi-label mask split written by the test: per-label score maps
// <id>_<label>.npy give mPxAP, and multi-label metadata is refused without multi_label.
// The numbers are split_scores_test's hand-worked two-label image.
#include "wsol/evaluation/evaluate_folder.h"

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "wsol/metadata/metadata.h"
#include "wsol/metrics/npy.h"
#include "wsol/util/status_matchers.h"

namespace wsol::evaluation {

using metrics::WriteNpy;
namespace {

using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

cv::Mat Halves(float left, float right) {
  cv::Mat map(4, 4, CV_32F, cv::Scalar(right));
  map(cv::Rect(0, 0, 2, 4)).setTo(cv::Scalar(left));
  return map;
}

// A split with one image "a.jpg" (8x8 pixels) of labels 0 and 2: class 0's mask is the
// left half, class 2's the right half. Returns the root folder.
std::string WriteTwoLabelSplit() {
  const std::string root = ::testing::TempDir() + "/two_label";
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root + "/masks");
  std::filesystem::create_directories(root + "/scoremaps");
  cv::Mat left(8, 8, CV_8UC1, cv::Scalar(0)), right(8, 8, CV_8UC1, cv::Scalar(0));
  left(cv::Rect(0, 0, 4, 8)).setTo(cv::Scalar(255));
  right(cv::Rect(4, 0, 4, 8)).setTo(cv::Scalar(255));
  EXPECT_TRUE(cv::imwrite(root + "/masks/a_0.png", left));
  EXPECT_TRUE(cv::imwrite(root + "/masks/a_2.png", right));
  metadata::SplitMetadata split;
  split.kind = metadata::LocalizationKind::kMasks;
  split.images.push_back({.image_id = "a.jpg",
                          .labels = {0, 2},
                          .width = 8,
                          .height = 8,
                          .mask_paths = {"masks/a_0.png", "masks/a_2.png"}});
  EXPECT_THAT(metadata::WriteSplitMetadata(split, root + "/metadata"), IsOk());
  // Class 0's CAM is right; class 2's points at class 0's half.
  EXPECT_THAT(WriteNpy(root + "/scoremaps/a.jpg_0.npy", Halves(0.9f, 0.1f)), IsOk());
  EXPECT_THAT(WriteNpy(root + "/scoremaps/a.jpg_2.npy", Halves(0.9f, 0.1f)), IsOk());
  return root;
}

EvaluateFolderOptions Options(const std::string& root) {
  return {.metadata = root + "/metadata",
          .scoremaps = root + "/scoremaps",
          .mask_root = root,
          .cam_curve_interval = 0.01,
          .eval_size = 4,
          .threads = 1};
}

TEST(EvaluateFolderTest, MultiLabelMasksGiveMeanPxap) {
  const std::string root = WriteTwoLabelSplit();
  EvaluateFolderOptions options = Options(root);
  options.multi_label = true;
  options.num_classes = 3;
  absl::StatusOr<EvaluationReport> report = EvaluateFolder(options);
  ASSERT_THAT(report, IsOk());
  ASSERT_TRUE(report->mean_pxap.has_value());
  EXPECT_DOUBLE_EQ(report->mean_pxap->mean_pxap, 75.0);  // (100 + 50) / 2
  EXPECT_DOUBLE_EQ(report->masks->pxap, 50.0);           // both pairs pooled
  EXPECT_EQ(MetricName(*report), "mPxAP");
  EXPECT_THAT(FormatReport(*report), HasSubstr("| mPxAP (mean over 2 classes) | 75.0000 |"));
  EXPECT_THAT(ReportToJson(*report), HasSubstr("\"pxap_per_class\": [100, null, 50]"));
}

TEST(EvaluateFolderTest, MultiLabelMetadataNeedsMultiLabelScoring) {
  const std::string root = WriteTwoLabelSplit();
  EXPECT_THAT(EvaluateFolder(Options(root)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("image a.jpg has 2 labels; score multi-label data")));
}

TEST(EvaluateFolderTest, MissingPerLabelMapIsNamed) {
  const std::string root = WriteTwoLabelSplit();
  std::filesystem::remove(root + "/scoremaps/a.jpg_2.npy");
  EvaluateFolderOptions options = Options(root);
  options.multi_label = true;
  EXPECT_THAT(EvaluateFolder(options),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("a.jpg_2.npy")));
}

}  // namespace
}  // namespace wsol::evaluation
