#include "datasets/prepare/image_size.h"

#include <string>

#include "gtest/gtest.h"
#include "wsol/util/status_matchers.h"
#include "wsol/util/test_files.h"

namespace wsol::datasets {
namespace {

using testing::FreshTestDir;
using ::testing::HasSubstr;
using testing::WriteTestFile;
using testing::WriteTestImage;
using ::wsol::testing::StatusIs;

TEST(ImageSizeTest, ReadsHeadersOfCommonFormats) {
  const std::string dir = FreshTestDir("image_size");
  for (const char* ext : {".jpg", ".png", ".bmp"}) {
    const std::string path = dir + "/image" + ext;
    WriteTestImage(path, 37, 21);
    absl::StatusOr<ImageSize> size = ReadImageSize(path);
    ASSERT_TRUE(size.ok()) << size.status();
    EXPECT_EQ(size->width, 37) << ext;
    EXPECT_EQ(size->height, 21) << ext;
  }
}

TEST(ImageSizeTest, ReadsProgressiveJpeg) {
  const std::string dir = FreshTestDir("image_size_progressive");
  const std::string path = dir + "/p.jpg";
  cv::Mat image(40, 64, CV_8UC3, cv::Scalar(10, 200, 30));
  ASSERT_TRUE(cv::imwrite(path, image, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
  absl::StatusOr<ImageSize> size = ReadImageSize(path);
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(size->width, 64);
  EXPECT_EQ(size->height, 40);
}

TEST(ImageSizeTest, MissingFileIsNotFound) {
  EXPECT_THAT(ReadImageSize("/nonexistent/x.jpg"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/x.jpg")));
}

TEST(ImageSizeTest, TruncatedJpegIsDataLoss) {
  const std::string dir = FreshTestDir("image_size_bad");
  WriteTestFile(dir + "/cut.jpg", std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF", 10));
  EXPECT_THAT(ReadImageSize(dir + "/cut.jpg"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("cut.jpg")));
  WriteTestFile(dir + "/text.jpg", "not an image at all");
  EXPECT_THAT(ReadImageSize(dir + "/text.jpg"), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace wsol::datasets
