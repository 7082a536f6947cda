// The standard components: datasets/' data source refuses a class count the data does not
// have, naming both, before any training.
#include "tools/components.h"

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "wsol/util/status_matchers.h"

namespace wsol::tools {
namespace {

using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

TEST(ComponentsTest, AClassCountTheTrainingSplitDoesNotHaveIsExplained) {
  proto::Dataset dataset;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
    name: "FMNIST_LOC" num_classes: 10 resize_size: 36 crop_size: 32 eval_size: 32
    fmnist_loc { canvas_size: 32 min_item_size: 12 max_item_size: 28
                 train_per_class: 4 val_per_class: 2 test_per_class: 2 seed: 5 }
  )pb",
                                                            &dataset));
  const train::Components components = StandardComponents();
  const data::LoadSplitsOptions options{.cache_dir = ::testing::TempDir() + "/cache"};
  absl::StatusOr<data::Splits> splits = components.load_splits(dataset, options);
  ASSERT_THAT(splits, IsOk());
  EXPECT_EQ(splits->train.images.size(), 40u);
  dataset.set_num_classes(12);
  EXPECT_THAT(components.load_splits(dataset, options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("dataset.num_classes = 12 but the training split")));
}

}  // namespace
}  // namespace wsol::tools
