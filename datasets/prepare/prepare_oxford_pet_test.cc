#include "datasets/prepare/prepare_oxford_pet.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "wsol/metadata/metadata.h"
#include "wsol/util/status_matchers.h"
#include "wsol/util/test_files.h"

namespace wsol::datasets {
namespace {

using ::testing::ElementsAre;
using testing::FreshTestDir;
using ::testing::HasSubstr;
using testing::ReadGray;
using testing::WriteGrayPng;
using testing::WriteTestFile;
using testing::WriteTestImage;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

// A 6x4 trimap: a 2x2 foreground square (1) inside a boundary ring (3) on background (2).
const std::vector<uint8_t> kTrimap = {
    2, 3, 3, 3, 3, 2,  //
    2, 3, 1, 1, 3, 2,  //
    2, 3, 1, 1, 3, 2,  //
    2, 3, 3, 3, 3, 2,
};

std::string WritePetFixture(const std::string& name) {
  const std::string dir = FreshTestDir(name);
  WriteTestFile(dir + "/annotations/trainval.txt",
                "Abyssinian_100 1 1 1\nAbyssinian_101 1 1 1\namerican_bulldog_10 2 2 1\n"
                "american_bulldog_100 2 2 1\n");
  WriteTestFile(dir + "/annotations/test.txt", "Abyssinian_1 1 1 1\namerican_bulldog_102 2 2 1\n");
  WriteTestFile(dir + "/annotations/list.txt",
                "#Image CLASS-ID SPECIES BREED ID\n#ID: 1:37 Class ids\nAbyssinian_1 1 1 1\n");
  for (const char* stem : {"Abyssinian_100", "Abyssinian_101", "american_bulldog_10",
                           "american_bulldog_100", "Abyssinian_1", "american_bulldog_102"}) {
    WriteTestImage(dir + "/images/" + stem + ".jpg", 6, 4);
    WriteGrayPng(dir + "/annotations/trimaps/" + stem + ".png", 6, 4, kTrimap);
  }
  return dir;
}

TEST(PrepareOxfordPetTest, TurnsTrimapsIntoMaskAndIgnore) {
  PrepareOptions options;
  options.source = WritePetFixture("pet");
  options.out = FreshTestDir("pet_out");
  options.val_per_class = 1;
  absl::StatusOr<PrepareResult> result = PrepareOxfordPet(options);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->num_classes, 37);
  EXPECT_EQ(result->split_sizes.at("train"), 2);
  EXPECT_EQ(result->split_sizes.at("val"), 2);
  EXPECT_EQ(result->split_sizes.at("test"), 2);
  EXPECT_EQ(result->masks_written, 8);  // Mask + ignore for 2 val and 2 test images.

  absl::StatusOr<metadata::SplitMetadata> test =
      metadata::ReadSplitMetadata(options.out + "/metadata/test");
  ASSERT_THAT(test, IsOk());
  ASSERT_EQ(test->kind, metadata::LocalizationKind::kMasks);
  const metadata::ImageRecord& r = test->images[1];
  EXPECT_EQ(r.image_id, "images/american_bulldog_102.jpg");
  EXPECT_THAT(r.labels, ElementsAre(1));
  EXPECT_THAT(r.mask_paths, ElementsAre("masks/test/american_bulldog_102.png"));
  EXPECT_EQ(r.ignore_path, "masks/test/american_bulldog_102_ignore.png");

  const cv::Mat mask = ReadGray(options.out + "/" + r.mask_paths[0]);
  const cv::Mat ignore = ReadGray(options.out + "/" + r.ignore_path);
  ASSERT_EQ(mask.total(), kTrimap.size());
  for (size_t i = 0; i < kTrimap.size(); ++i) {
    EXPECT_EQ(mask.data[i], kTrimap[i] == 1 ? 255 : 0) << i;
    EXPECT_EQ(ignore.data[i], kTrimap[i] == 3 ? 255 : 0) << i;
  }

  absl::StatusOr<metadata::SplitMetadata> val =
      metadata::ReadSplitMetadata(options.out + "/metadata/val");
  ASSERT_THAT(val, IsOk());
  EXPECT_EQ(val->images[0].image_id, "images/Abyssinian_100.jpg");
  EXPECT_EQ(val->images[1].image_id, "images/american_bulldog_10.jpg");

  std::ifstream names(options.out + "/class_names.txt");
  std::string first, second;
  std::getline(names, first);
  std::getline(names, second);
  EXPECT_EQ(first, "Abyssinian");
  EXPECT_EQ(second, "american_bulldog");
}

TEST(PrepareOxfordPetTest, TrimapOfWrongSizeIsAnError) {
  PrepareOptions options;
  options.source = WritePetFixture("pet_size");
  options.out = FreshTestDir("pet_size_out");
  options.val_per_class = 1;
  WriteGrayPng(options.source + "/annotations/trimaps/Abyssinian_1.png", 3, 2,
               std::vector<uint8_t>(6, 1));
  EXPECT_THAT(PrepareOxfordPet(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("image images/Abyssinian_1.jpg is 6x4 but its trimap")));
  options.skip_bad_images = true;
  absl::StatusOr<PrepareResult> result = PrepareOxfordPet(options);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->split_sizes.at("test"), 1);
}

TEST(PrepareOxfordPetTest, BadListLineNamesFileAndLine) {
  PrepareOptions options;
  options.source = WritePetFixture("pet_list");
  options.out = FreshTestDir("pet_list_out");
  WriteTestFile(options.source + "/annotations/test.txt",
                "Abyssinian_1 1 1 1\nAbyssinian_2 38 1 1\n");
  EXPECT_THAT(PrepareOxfordPet(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("test.txt:2: expected")));
}

}  // namespace
}  // namespace wsol::datasets
