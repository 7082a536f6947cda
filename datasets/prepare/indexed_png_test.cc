#include "datasets/prepare/indexed_png.h"

#include <string>

#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "wsol/util/status_matchers.h"
#include "wsol/util/test_files.h"

namespace wsol::datasets {
namespace {

using testing::FreshTestDir;
using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

IndexedImage Pattern() {
  IndexedImage image;
  image.width = 7;
  image.height = 5;
  image.palette = {{0, 0, 0}, {128, 0, 0}, {0, 128, 0}, {224, 224, 192}};
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) image.indices.push_back((x * y + x) % 4);
  }
  return image;
}

TEST(IndexedPngTest, RoundTripsIndicesAndPalette) {
  const std::string path = FreshTestDir("indexed_png") + "/seg.png";
  const IndexedImage image = Pattern();
  ASSERT_THAT(WriteIndexedPng(image, path), IsOk());
  absl::StatusOr<IndexedImage> read = ReadIndexedPng(path);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->width, 7);
  EXPECT_EQ(read->height, 5);
  EXPECT_EQ(read->indices, image.indices);
  EXPECT_EQ(read->palette, image.palette);
}

TEST(IndexedPngTest, OpenCvDecodesOurFileToThePaletteColours) {
  // An independent decoder (libpng through OpenCV) sees the palette colour of each index.
  const std::string path = FreshTestDir("indexed_png_cv") + "/seg.png";
  const IndexedImage image = Pattern();
  ASSERT_THAT(WriteIndexedPng(image, path), IsOk());
  const cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  ASSERT_FALSE(bgr.empty());
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const auto& rgb = image.palette[image.indices[y * image.width + x]];
      const cv::Vec3b p = bgr.at<cv::Vec3b>(y, x);
      EXPECT_EQ(p[2], rgb[0]);
      EXPECT_EQ(p[1], rgb[1]);
      EXPECT_EQ(p[0], rgb[2]);
    }
  }
}

TEST(IndexedPngTest, ReadsFilteredGrayscaleWrittenByLibpng) {
  // libpng (via OpenCV) picks adaptive row filters, exercising every unfilter path.
  const std::string path = FreshTestDir("indexed_png_gray") + "/gray.png";
  cv::Mat gray(33, 41, CV_8UC1);
  for (int y = 0; y < gray.rows; ++y) {
    for (int x = 0; x < gray.cols; ++x) gray.at<uint8_t>(y, x) = (x * 7 + y * y * 3) % 256;
  }
  ASSERT_TRUE(cv::imwrite(path, gray));
  absl::StatusOr<IndexedImage> read = ReadIndexedPng(path);
  ASSERT_THAT(read, IsOk());
  ASSERT_EQ(read->indices.size(), gray.total());
  EXPECT_TRUE(std::equal(read->indices.begin(), read->indices.end(), gray.data));
  EXPECT_TRUE(read->palette.empty());
}

TEST(IndexedPngTest, RgbFileIsUnimplemented) {
  const std::string path = FreshTestDir("indexed_png_rgb") + "/rgb.png";
  testing::WriteTestImage(path, 4, 4);
  EXPECT_THAT(ReadIndexedPng(path),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("colour type 2")));
}

TEST(IndexedPngTest, CorruptFileIsDataLoss) {
  const std::string dir = FreshTestDir("indexed_png_bad");
  testing::WriteTestFile(dir + "/x.png", "definitely not a png");
  EXPECT_THAT(ReadIndexedPng(dir + "/x.png"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ReadIndexedPng(dir + "/missing.png"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace wsol::datasets
