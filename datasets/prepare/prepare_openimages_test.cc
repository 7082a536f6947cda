#include "datasets/prepare/prepare_openimages.h"

#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "wsol/metadata/metadata.h"
#include "wsol/util/status_matchers.h"
#include "wsol/util/test_files.h"

namespace wsol::datasets {
namespace {

using ::testing::ElementsAre;
using testing::FreshTestDir;
using ::testing::HasSubstr;
using testing::WriteGrayPng;
using testing::WriteTestFile;
using testing::WriteTestImage;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

// wsolevaluation's OpenImages layout with classes 0bt_c3 and 01226z (sorted: 01226z
// first), one training image each, and val/test images with instance and ignore masks.
std::string WriteOpenImagesFixture(const std::string& name) {
  const std::string dir = FreshTestDir(name);
  const std::vector<uint8_t> mask(20 * 10, 255);
  WriteTestImage(dir + "/train/01226z/ed9d2feb6d44cff3.jpg", 30, 20);
  WriteTestImage(dir + "/train/0bt_c3/aaaa000011112222.jpg", 20, 30);
  WriteTestImage(dir + "/val/0bt_c3/1cd9ac0169ec7df0.jpg", 20, 10);
  WriteGrayPng(dir + "/val/0bt_c3/1cd9ac0169ec7df0_m0bt_c3_6932e993.png", 20, 10, mask);
  WriteGrayPng(dir + "/val/0bt_c3/1cd9ac0169ec7df0_ignore.png", 20, 10, mask);
  WriteTestImage(dir + "/test/01226z/7af766bd43da900b.jpg", 20, 10);
  WriteGrayPng(dir + "/test/01226z/7af766bd43da900b_m01226z_6554d965.png", 20, 10, mask);
  WriteGrayPng(dir + "/test/01226z/7af766bd43da900b_m01226z_8856c605.png", 20, 10, mask);
  WriteGrayPng(dir + "/test/01226z/7af766bd43da900b_ignore.png", 20, 10, mask);
  return dir;
}

TEST(PrepareOpenImagesTest, ReadsMasksFromTheLayout) {
  PrepareOptions options;
  options.source = WriteOpenImagesFixture("openimages");
  options.out = FreshTestDir("openimages_out");
  absl::StatusOr<PrepareResult> result = PrepareOpenImages(options);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->num_classes, 2);
  EXPECT_EQ(result->mask_root, options.source);

  absl::StatusOr<metadata::SplitMetadata> test =
      metadata::ReadSplitMetadata(options.out + "/metadata/test");
  ASSERT_THAT(test, IsOk());
  ASSERT_EQ(test->kind, metadata::LocalizationKind::kMasks);
  ASSERT_EQ(test->images.size(), 1u);
  const metadata::ImageRecord& r = test->images[0];
  // Same lines as wsolevaluation's metadata/OpenImages/test/localization.txt for this id.
  EXPECT_EQ(r.image_id, "test/01226z/7af766bd43da900b.jpg");
  EXPECT_THAT(r.labels, ElementsAre(0));
  EXPECT_THAT(r.mask_paths, ElementsAre("test/01226z/7af766bd43da900b_m01226z_6554d965.png",
                                        "test/01226z/7af766bd43da900b_m01226z_8856c605.png"));
  EXPECT_EQ(r.ignore_path, "test/01226z/7af766bd43da900b_ignore.png");
  EXPECT_EQ(r.width, 20);
  EXPECT_EQ(r.height, 10);

  absl::StatusOr<metadata::SplitMetadata> val =
      metadata::ReadSplitMetadata(options.out + "/metadata/val");
  ASSERT_THAT(val, IsOk());
  ASSERT_EQ(val->images.size(), 1u);
  EXPECT_THAT(val->images[0].labels, ElementsAre(1));

  metadata::ReadOptions train_options;
  train_options.require_localization = false;
  absl::StatusOr<metadata::SplitMetadata> train =
      metadata::ReadSplitMetadata(options.out + "/metadata/train", train_options);
  ASSERT_THAT(train, IsOk());
  ASSERT_EQ(train->images.size(), 2u);
  EXPECT_EQ(train->images[1].image_id, "train/0bt_c3/aaaa000011112222.jpg");
  EXPECT_EQ(train->images[1].width, 20);
  EXPECT_EQ(train->images[1].height, 30);
  EXPECT_THAT(result->notes, ::testing::Not(::testing::Contains(HasSubstr("masks differ"))));
}

TEST(PrepareOpenImagesTest, MaskOfAnotherSizeIsNoted) {
  PrepareOptions options;
  options.source = WriteOpenImagesFixture("openimages_mask_size");
  options.out = FreshTestDir("openimages_mask_size_out");
  WriteGrayPng(options.source + "/test/01226z/7af766bd43da900b_m01226z_8856c605.png", 4, 2,
               std::vector<uint8_t>(8, 255));
  absl::StatusOr<PrepareResult> result = PrepareOpenImages(options);
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->notes, ::testing::Contains(HasSubstr("test: 1 masks differ in size")));
}

TEST(PrepareOpenImagesTest, ImageWithoutMaskIsAnError) {
  PrepareOptions options;
  options.source = WriteOpenImagesFixture("openimages_nomask");
  options.out = FreshTestDir("openimages_nomask_out");
  WriteTestImage(options.source + "/test/01226z/0000000000000000.jpg", 8, 8);
  EXPECT_THAT(PrepareOpenImages(options),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("image test/01226z/0000000000000000.jpg: no mask file")));
  options.skip_bad_images = true;
  absl::StatusOr<PrepareResult> result = PrepareOpenImages(options);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->split_sizes.at("test"), 1);
  EXPECT_THAT(result->notes, ::testing::Contains(HasSubstr("0000000000000000.jpg")));
}

TEST(PrepareOpenImagesTest, ImportsWsolevaluationMetadataWithEmptySizes) {
  const std::string source = WriteOpenImagesFixture("openimages_wsol");
  const std::string wsol = FreshTestDir("openimages_wsol_metadata");
  const std::string train_id = "train/01226z/ed9d2feb6d44cff3.jpg";
  WriteTestFile(wsol + "/train/image_ids.txt", train_id + "\n");
  WriteTestFile(wsol + "/train/class_labels.txt", train_id + ",0\n");
  WriteTestFile(wsol + "/train/image_sizes.txt", "");
  WriteTestFile(wsol + "/train/localization.txt", "");
  const std::string val_id = "val/0bt_c3/1cd9ac0169ec7df0.jpg";
  WriteTestFile(wsol + "/val/image_ids.txt", val_id + "\n");
  WriteTestFile(wsol + "/val/class_labels.txt", val_id + ",1\n");
  WriteTestFile(wsol + "/val/image_sizes.txt", "");
  WriteTestFile(wsol + "/val/localization.txt",
                val_id +
                    ",val/0bt_c3/1cd9ac0169ec7df0_m0bt_c3_6932e993.png,"
                    "val/0bt_c3/1cd9ac0169ec7df0_ignore.png\n");
  const std::string test_id = "test/01226z/7af766bd43da900b.jpg";
  WriteTestFile(wsol + "/test/image_ids.txt", test_id + "\n");
  WriteTestFile(wsol + "/test/class_labels.txt", test_id + ",0\n");
  WriteTestFile(wsol + "/test/image_sizes.txt", "");
  WriteTestFile(wsol + "/test/localization.txt",
                test_id +
                    ",test/01226z/7af766bd43da900b_m01226z_6554d965.png,"
                    "test/01226z/7af766bd43da900b_ignore.png\n" +
                    test_id + ",test/01226z/missing.png,\n");
  PrepareOptions options;
  options.source = source;
  options.out = FreshTestDir("openimages_wsol_out");
  options.wsol_metadata = wsol;
  EXPECT_THAT(PrepareOpenImages(options),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.png is missing")));
  WriteTestFile(wsol + "/test/localization.txt",
                test_id +
                    ",test/01226z/7af766bd43da900b_m01226z_6554d965.png,"
                    "test/01226z/7af766bd43da900b_ignore.png\n");
  ASSERT_THAT(PrepareOpenImages(options), IsOk());
  absl::StatusOr<metadata::SplitMetadata> test =
      metadata::ReadSplitMetadata(options.out + "/metadata/test");
  ASSERT_THAT(test, IsOk());
  ASSERT_EQ(test->images.size(), 1u);
  EXPECT_EQ(test->images[0].width, 20);  // Filled from the image header.
}

}  // namespace
}  // namespace wsol::datasets
