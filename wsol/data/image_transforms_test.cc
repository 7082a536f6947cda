#include "wsol/data/image_transforms.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "wsol/util/rng.h"
#include "wsol/util/status_matchers.h"
#include "wsol/util/test_files.h"

namespace wsol::data {
namespace {

using testing::FreshTestDir;
using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

TEST(ImageTransformsTest, EvalNormalizesWithImageNetStatistics) {
  // A constant RGB (255, 0, 51) image: each output is (v / 255 - mean) / std, e.g. red
  // (1 - 0.485) / 0.229 = 2.24891, green (0 - 0.456) / 0.224 = -2.03571,
  // blue (0.2 - 0.406) / 0.225 = -0.91556 (hand-worked).
  const cv::Mat rgb(10, 20, CV_8UC3, cv::Scalar(255, 0, 51));
  TransformOptions options;
  options.eval_size = 8;
  std::vector<float> chw(3 * 8 * 8);
  TransformImage(rgb, options, Augmentation(), chw.data());
  for (int i = 0; i < 64; ++i) {
    EXPECT_NEAR(chw[i], 2.24891f, 1e-5);
    EXPECT_NEAR(chw[64 + i], -2.03571f, 1e-5);
    EXPECT_NEAR(chw[128 + i], -0.91556f, 1e-5);
  }
}

// A JPEG of `rgb` whose EXIF block says "rotate 90 degrees clockwise to display"
// (orientation 6), inserted by hand after the start-of-image marker: an APP1 segment
// "Exif\0\0" + a big-endian TIFF header + one IFD with the single entry 0x0112 = 6.
std::string JpegWithOrientation6(const cv::Mat& bgr) {
  std::vector<uchar> jpeg;
  EXPECT_TRUE(cv::imencode(".jpg", bgr, jpeg));
  const unsigned char app1[] = {
      0xFF, 0xE1, 0x00, 34,                            // APP1, length 2 + 32
      'E',  'x',  'i',  'f',  0,    0,                 // EXIF identifier
      'M',  'M',  0x00, 0x2A, 0x00, 0x00, 0x00, 0x08,  // TIFF header, IFD0 at 8
      0x00, 0x01,                                      // one entry
      0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,  // Orientation, SHORT, 1
      0x00, 0x06, 0x00, 0x00,                          // value 6
      0x00, 0x00, 0x00, 0x00};                         // no next IFD
  std::string out(jpeg.begin(), jpeg.begin() + 2);     // FF D8
  out.append(reinterpret_cast<const char*>(app1), sizeof(app1));
  out.append(jpeg.begin() + 2, jpeg.end());
  return out;
}

// A folder or a FIFO where an image belongs: a named error, not a reader blocked forever.
TEST(DecodeImageTest, OnlyRegularFilesAreDecoded) {
  const std::string dir = ::testing::TempDir() + "/decode_not_files";
  std::filesystem::create_directories(dir + "/folder.jpg");
  EXPECT_THAT(DecodeImage(dir + "/folder.jpg"),
              wsol::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                      ::testing::HasSubstr("folder.jpg: is a directory")));
  ASSERT_EQ(mkfifo((dir + "/fifo.jpg").c_str(), 0600), 0);
  EXPECT_THAT(DecodeImage(dir + "/fifo.jpg"),
              wsol::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                      ::testing::HasSubstr("fifo.jpg: is not a regular file")));
  EXPECT_THAT(DecodeImage(dir + "/missing.jpg"),
              wsol::testing::StatusIs(absl::StatusCode::kNotFound,
                                      ::testing::HasSubstr("missing.jpg: no such file")));
}

TEST(DecodeImageTest, IgnoresExifOrientationAsTheProtocolsLoaderDoes) {
  // 40 wide, 20 high, left half red: stored that way, the boxes refer to that frame.
  cv::Mat bgr(20, 40, CV_8UC3, cv::Scalar(255, 0, 0));
  bgr(cv::Rect(0, 0, 20, 20)).setTo(cv::Scalar(0, 0, 255));
  const std::string path = FreshTestDir("exif") + "/rotated.jpg";
  {
    std::ofstream out(path, std::ios::binary);
    out << JpegWithOrientation6(bgr);
  }
  // The tag is real: OpenCV's default decoding turns the image upright (20 x 40).
  const cv::Mat upright = cv::imread(path, cv::IMREAD_COLOR);
  ASSERT_EQ(upright.cols, 20);
  ASSERT_EQ(upright.rows, 40);

  absl::StatusOr<cv::Mat> rgb = DecodeImage(path);
  ASSERT_THAT(rgb, IsOk());
  EXPECT_EQ(rgb->cols, 40);
  EXPECT_EQ(rgb->rows, 20);
  // Red on the left in RGB order, blue on the right (JPEG-approximate).
  const cv::Vec3b left = rgb->at<cv::Vec3b>(10, 5), right = rgb->at<cv::Vec3b>(10, 35);
  EXPECT_GT(left[0], 200);
  EXPECT_LT(left[2], 60);
  EXPECT_GT(right[2], 200);
  EXPECT_LT(right[0], 60);
}

// An image whose red channel is x and green channel is y.
cv::Mat Coordinates(int side) {
  cv::Mat rgb(side, side, CV_8UC3);
  for (int y = 0; y < side; ++y) {
    for (int x = 0; x < side; ++x) rgb.at<cv::Vec3b>(y, x) = cv::Vec3b(x, y, 0);
  }
  return rgb;
}

TEST(ImageTransformsTest, TrainCropsAndFlips) {
  TransformOptions options;
  options.train = true;
  options.resize_size = 12;  // The image is already 12x12: no resampling.
  options.crop_size = 5;
  options.mean = {0, 0, 0};
  options.std = {1.0f / 255, 1.0f / 255, 1.0f / 255};  // Output = raw value.
  const cv::Mat rgb = Coordinates(12);
  std::vector<float> chw(3 * 5 * 5);
  TransformImage(rgb, options, Augmentation{3, 6, false}, chw.data());
  EXPECT_EQ(chw[0], 3);            // Red at (0, 0) is crop_x.
  EXPECT_EQ(chw[25], 6);           // Green at (0, 0) is crop_y.
  EXPECT_EQ(chw[4 * 5 + 4], 7);    // Red at (4, 4): 3 + 4.
  EXPECT_EQ(chw[25 + 4 * 5], 10);  // Green at row 4: 6 + 4.
  TransformImage(rgb, options, Augmentation{3, 6, true}, chw.data());
  EXPECT_EQ(chw[0], 7);  // Flipped: column 0 shows the crop's last column.
  EXPECT_EQ(chw[4], 3);
  EXPECT_EQ(chw[25], 6);  // Rows are not flipped.
}

TEST(ImageTransformsTest, DrawAugmentationCoversTheRange) {
  TransformOptions options;
  options.train = true;
  options.resize_size = 10;
  options.crop_size = 7;
  Rng rng(9);
  std::set<int> xs, ys, flips;
  for (int i = 0; i < 400; ++i) {
    const Augmentation a = DrawAugmentation(options, rng);
    xs.insert(a.crop_x);
    ys.insert(a.crop_y);
    flips.insert(a.flip);
  }
  EXPECT_EQ(xs, (std::set<int>{0, 1, 2, 3}));
  EXPECT_EQ(ys, (std::set<int>{0, 1, 2, 3}));
  EXPECT_EQ(flips, (std::set<int>{0, 1}));
  options.horizontal_flip = false;
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(DrawAugmentation(options, rng).flip);
  options.train = false;
  const Augmentation eval = DrawAugmentation(options, rng);
  EXPECT_EQ(eval.crop_x + eval.crop_y + eval.flip, 0);
}

TEST(ImageTransformsTest, ResizesAnyImageToTheOutputSide) {
  TransformOptions options;
  options.train = true;
  options.resize_size = 256;
  options.crop_size = 224;
  const cv::Mat rgb(375, 500, CV_8UC3, cv::Scalar(10, 20, 30));
  std::vector<float> chw(3 * 224 * 224, -100);
  TransformImage(rgb, options, Augmentation{32, 32, true}, chw.data());
  // Every output written with the constant colour's normalized red value.
  for (int i = 0; i < 224 * 224; ++i) ASSERT_NEAR(chw[i], (10 / 255.0 - 0.485) / 0.229, 1e-5);
}

TEST(ImageTransformsTest, ShrinkingAveragesInsteadOfSkippingPixels) {
  // A one-pixel checkerboard of 0 and 200 shrunk 4x: an antialiased resize gives ~100
  // everywhere, nearest-pixel sampling would give 0s and 200s.
  cv::Mat rgb(64, 48, CV_8UC3);
  for (int y = 0; y < rgb.rows; ++y) {
    for (int x = 0; x < rgb.cols; ++x) rgb.at<cv::Vec3b>(y, x) = cv::Vec3b::all((x + y) % 2 * 200);
  }
  TransformOptions options;
  options.eval_size = 13;  // Non-integer factors 48 / 13 and 64 / 13.
  options.mean = {0, 0, 0};
  options.std = {1.0f / 255, 1.0f / 255, 1.0f / 255};
  std::vector<float> chw(3 * 13 * 13);
  TransformImage(rgb, options, Augmentation(), chw.data());
  for (float v : chw) ASSERT_NEAR(v, 100, 20);
}

TEST(ImageTransformsTest, DecodeGivesRgbAndNamesBadFiles) {
  const std::string dir = FreshTestDir("decode");
  cv::Mat bgr(4, 6, CV_8UC3, cv::Scalar(10, 20, 30));  // OpenCV writes BGR.
  ASSERT_TRUE(cv::imwrite(dir + "/c.png", bgr));
  absl::StatusOr<cv::Mat> rgb = DecodeImage(dir + "/c.png");
  ASSERT_THAT(rgb, IsOk());
  EXPECT_EQ(rgb->at<cv::Vec3b>(0, 0), cv::Vec3b(30, 20, 10));
  testing::WriteGrayPng(dir + "/g.png", 2, 1, {7, 9});
  absl::StatusOr<cv::Mat> gray = DecodeImage(dir + "/g.png");
  ASSERT_THAT(gray, IsOk());
  EXPECT_EQ(gray->at<cv::Vec3b>(0, 1), cv::Vec3b(9, 9, 9));
  EXPECT_THAT(DecodeImage(dir + "/none.jpg"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("none.jpg")));
  testing::WriteTestFile(dir + "/bad.jpg", "garbage");
  EXPECT_THAT(DecodeImage(dir + "/bad.jpg"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("bad.jpg: not a decodable image")));
}

}  // namespace
}  // namespace wsol::data
