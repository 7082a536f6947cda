#include "datasets/prepare/prepare.h"

#include "gtest/gtest.h"
#include "wsol/util/status_matchers.h"

namespace wsol::datasets {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::wsol::testing::StatusIs;

TEST(PrepareTest, NamesMatchTheDatasetProto) {
  // wsol/proto/dataset.proto, Dataset.name (FMNIST_LOC has its own generator).
  EXPECT_THAT(PreparerNames(), ElementsAre("CUB", "ILSVRC", "OpenImages", "Oxford", "VOC"));
}

TEST(PrepareTest, UnknownNameListsTheValidOnes) {
  EXPECT_THAT(PrepareDataset("COCO", {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown dataset 'COCO'; valid: CUB, ILSVRC, OpenImages")));
}

TEST(PrepareTest, NamesAreCaseInsensitive) {
  PrepareOptions options;
  options.source = "/nonexistent";
  // Reaches the VOC preparer, which complains about its own layout.
  EXPECT_THAT(PrepareDataset("voc", options),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("VOC2012")));
}

}  // namespace
}  // namespace wsol::datasets
