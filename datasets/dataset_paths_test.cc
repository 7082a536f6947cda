#include "datasets/dataset_paths.h"

#include <string>

#include "gtest/gtest.h"
#include "wsol/util/status_matchers.h"

namespace wsol::datasets {
namespace {

using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

TEST(DatasetPathsTest, DefaultsFollowTheRoot) {
  proto::Dataset dataset;
  dataset.set_name("CUB");
  dataset.set_root("data/CUB/images");
  dataset.set_annotation(proto::Dataset::BOXES);
  absl::StatusOr<DatasetPaths> paths = ResolveDatasetPaths(dataset, "unused");
  ASSERT_THAT(paths, IsOk());
  EXPECT_EQ(paths->image_root, "data/CUB/images");
  EXPECT_EQ(paths->metadata_root, "data/CUB/images/metadata");
  EXPECT_EQ(paths->mask_root, "data/CUB/images");
  EXPECT_EQ(paths->mask_metadata_root, "");
}

TEST(DatasetPathsTest, ExplicitFoldersWin) {
  proto::Dataset dataset;
  dataset.set_name("VOC");
  dataset.set_root("voc");
  dataset.set_metadata_root("out/metadata");
  dataset.set_mask_root("out");
  dataset.set_annotation(proto::Dataset::MASKS);
  absl::StatusOr<DatasetPaths> paths = ResolveDatasetPaths(dataset, "unused");
  ASSERT_THAT(paths, IsOk());
  EXPECT_EQ(paths->metadata_root, "out/metadata");
  EXPECT_EQ(paths->mask_metadata_root, "out/metadata");  // Mask-only data.
  EXPECT_EQ(paths->mask_root, "out");
}

TEST(DatasetPathsTest, BoxesAndMasksUseTwoMetadataTrees) {
  proto::Dataset dataset;  // FMNIST_LOC and BOXES_AND_MASKS are the defaults.
  dataset.set_root("fmnist");
  absl::StatusOr<DatasetPaths> paths = ResolveDatasetPaths(dataset, "unused");
  ASSERT_THAT(paths, IsOk());
  EXPECT_EQ(paths->metadata_root, "fmnist/metadata");
  EXPECT_EQ(paths->mask_metadata_root, "fmnist/metadata_masks");
  dataset.set_mask_metadata_root("elsewhere");
  EXPECT_EQ(ResolveDatasetPaths(dataset, "unused")->mask_metadata_root, "elsewhere");
}

TEST(DatasetPathsTest, RealDatasetWithoutRootSaysHowToPrepareIt) {
  proto::Dataset dataset;
  dataset.set_name("Oxford");
  EXPECT_THAT(ResolveDatasetPaths(dataset, "unused"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("bazel run //datasets:prepare -- --dataset=Oxford")));
}

}  // namespace
}  // namespace wsol::datasets
