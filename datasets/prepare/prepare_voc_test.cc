#include "datasets/prepare/prepare_voc.h"

#include <filesystem>
#include <string>
#include <vector>

#include "datasets/prepare/indexed_png.h"
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
using testing::WriteTestFile;
using testing::WriteTestImage;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

constexpr int kWidth = 5;
constexpr int kHeight = 3;

IndexedImage Segmentation(const std::vector<uint8_t>& indices) {
  IndexedImage seg;
  seg.width = kWidth;
  seg.height = kHeight;
  seg.indices = indices;
  for (int i = 0; i < 256; ++i) seg.palette.push_back(VocColor(i));
  return seg;
}

// VOCdevkit/VOC2012 with 4 training and 1 validation image; 2007_000032 shows an
// aeroplane (1) and a person (15) separated by void (255); 2007_000042 a person and a
// tv monitor (20), so that every training class keeps an image once val is carved.
std::string WriteVocFixture(const std::string& name) {
  const std::string dir = FreshTestDir(name);
  const std::string voc = dir + "/VOC2012";
  WriteTestFile(voc + "/ImageSets/Segmentation/train.txt",
                "2007_000032\n2007_000039\n2007_000063\n2007_000042\n");
  WriteTestFile(voc + "/ImageSets/Segmentation/val.txt", "2007_000033\n");
  const std::vector<std::vector<uint8_t>> segs = {
      {1, 1, 255, 15, 15,  //
       1, 1, 255, 15, 15,  //
       0, 0, 0, 0, 0},
      {20, 20, 0, 0, 0, 20, 20, 0, 0, 0, 0, 0, 0, 0, 0},
      {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
      {0, 0, 0, 0, 0, 0, 8, 8, 8, 0, 255, 255, 255, 255, 255},
      {15, 15, 0, 20, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
  };
  const char* ids[] = {"2007_000032", "2007_000039", "2007_000063", "2007_000033", "2007_000042"};
  std::filesystem::create_directories(voc + "/SegmentationClass");
  for (int i = 0; i < 5; ++i) {
    WriteTestImage(voc + "/JPEGImages/" + ids[i] + ".jpg", kWidth, kHeight, i);
    EXPECT_THAT(
        WriteIndexedPng(Segmentation(segs[i]), voc + "/SegmentationClass/" + ids[i] + ".png"),
        IsOk());
  }
  return dir;
}

TEST(PrepareVocTest, WritesMultiLabelPerClassMasks) {
  PrepareOptions options;
  options.source = WriteVocFixture("voc");
  options.out = FreshTestDir("voc_out");
  options.val_per_class = 1;
  absl::StatusOr<PrepareResult> result = PrepareVoc(options);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->num_classes, 20);
  EXPECT_THAT(result->dataset_spec, HasSubstr("multi_label: true"));
  // val takes 2007_000032 (classes 0 and 14 still missing) and 2007_000039 (19);
  // 2007_000063 (class 0, already there) and 2007_000042 (14 and 19) stay in train.
  EXPECT_EQ(result->split_sizes.at("val"), 2);
  EXPECT_EQ(result->split_sizes.at("train"), 2);
  EXPECT_EQ(result->split_sizes.at("test"), 1);

  absl::StatusOr<metadata::SplitMetadata> val =
      metadata::ReadSplitMetadata(options.out + "/metadata/val");
  ASSERT_THAT(val, IsOk());
  ASSERT_EQ(val->kind, metadata::LocalizationKind::kMasks);
  const metadata::ImageRecord& r = val->images[0];
  EXPECT_EQ(r.image_id, "JPEGImages/2007_000032.jpg");
  EXPECT_THAT(r.labels, ElementsAre(0, 14));  // aeroplane, person.
  EXPECT_THAT(r.mask_paths, ElementsAre("masks/val/2007_000032_aeroplane.png",
                                        "masks/val/2007_000032_person.png"));
  EXPECT_EQ(r.ignore_path, "masks/val/2007_000032_ignore.png");
  const cv::Mat aeroplane = ReadGray(options.out + "/" + r.mask_paths[0]);
  const cv::Mat person = ReadGray(options.out + "/" + r.mask_paths[1]);
  const cv::Mat ignore = ReadGray(options.out + "/" + r.ignore_path);
  ASSERT_EQ(aeroplane.cols, kWidth);
  EXPECT_EQ(aeroplane.at<uint8_t>(1, 1), 255);
  EXPECT_EQ(aeroplane.at<uint8_t>(1, 3), 0);
  EXPECT_EQ(person.at<uint8_t>(1, 3), 255);
  EXPECT_EQ(person.at<uint8_t>(1, 1), 0);
  EXPECT_EQ(ignore.at<uint8_t>(0, 2), 255);
  EXPECT_EQ(ignore.at<uint8_t>(2, 2), 0);
  EXPECT_EQ(cv::countNonZero(aeroplane), 4);
  EXPECT_EQ(cv::countNonZero(person), 4);
  EXPECT_EQ(cv::countNonZero(ignore), 2);

  absl::StatusOr<metadata::SplitMetadata> test =
      metadata::ReadSplitMetadata(options.out + "/metadata/test");
  ASSERT_THAT(test, IsOk());
  EXPECT_THAT(test->images[0].labels, ElementsAre(7));  // cat.
}

TEST(PrepareVocTest, RgbSegmentationIsMappedThroughTheColourMap) {
  PrepareOptions options;
  options.source = WriteVocFixture("voc_rgb");
  options.out = FreshTestDir("voc_rgb_out");
  options.val_per_class = 1;
  // Re-save 2007_000033 as RGB: cat (8) is (64, 0, 0) and void is (224, 224, 192).
  cv::Mat bgr(kHeight, kWidth, CV_8UC3, cv::Scalar(0, 0, 0));
  bgr.at<cv::Vec3b>(1, 1) = cv::Vec3b(0, 0, 64);
  bgr.at<cv::Vec3b>(2, 0) = cv::Vec3b(192, 224, 224);
  ASSERT_TRUE(cv::imwrite(options.source + "/VOC2012/SegmentationClass/2007_000033.png", bgr));
  ASSERT_THAT(PrepareVoc(options), IsOk());
  absl::StatusOr<metadata::SplitMetadata> test =
      metadata::ReadSplitMetadata(options.out + "/metadata/test");
  ASSERT_THAT(test, IsOk());
  EXPECT_THAT(test->images[0].labels, ElementsAre(7));
  EXPECT_EQ(cv::countNonZero(ReadGray(options.out + "/" + test->images[0].mask_paths[0])), 1);
  EXPECT_EQ(cv::countNonZero(ReadGray(options.out + "/" + test->images[0].ignore_path)), 1);

  bgr.at<cv::Vec3b>(0, 0) = cv::Vec3b(1, 2, 3);
  ASSERT_TRUE(cv::imwrite(options.source + "/VOC2012/SegmentationClass/2007_000033.png", bgr));
  EXPECT_THAT(PrepareVoc(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not in VOC's colour map")));
}

TEST(PrepareVocTest, ColourMapMatchesTheDevkit) {
  // VOC devkit's VOClabelcolormap: 1 aeroplane (128,0,0), 8 cat (64,0,0), 15 person (192,128,128),
  // 255 void (224,224,192).
  EXPECT_EQ(VocColor(1), (std::array<uint8_t, 3>{128, 0, 0}));
  EXPECT_EQ(VocColor(8), (std::array<uint8_t, 3>{64, 0, 0}));
  EXPECT_EQ(VocColor(15), (std::array<uint8_t, 3>{192, 128, 128}));
  EXPECT_EQ(VocColor(255), (std::array<uint8_t, 3>{224, 224, 192}));
}

TEST(PrepareVocTest, UnknownIndexIsAnError) {
  PrepareOptions options;
  options.source = WriteVocFixture("voc_bad");
  options.out = FreshTestDir("voc_bad_out");
  std::vector<uint8_t> indices(kWidth * kHeight, 0);
  indices[3] = 42;
  ASSERT_THAT(WriteIndexedPng(Segmentation(indices),
                              options.source + "/VOC2012/SegmentationClass/2007_000063.png"),
              IsOk());
  EXPECT_THAT(PrepareVoc(options), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("class index 42 is not 0..20 or 255")));
}

}  // namespace
}  // namespace wsol::datasets
