// Checks the OpenCV build: PNG round trip and contour finding on a hand-drawn image.
#include <vector>

#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace {

TEST(OpencvSmokeTest, PngRoundTripAndContours) {
  cv::Mat image = cv::Mat::zeros(20, 30, CV_8UC1);
  // A filled rectangle covering columns 5..14 and rows 3..9.
  image(cv::Rect(5, 3, 10, 7)).setTo(255);
  std::vector<uchar> png;
  ASSERT_TRUE(cv::imencode(".png", image, png));
  cv::Mat decoded = cv::imdecode(png, cv::IMREAD_GRAYSCALE);
  ASSERT_EQ(cv::countNonZero(decoded != image), 0);

  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(decoded, contours, cv::RETR_TREE, cv::CHAIN_APPROX_SIMPLE);
  ASSERT_EQ(contours.size(), 1u);
  EXPECT_EQ(cv::boundingRect(contours[0]), cv::Rect(5, 3, 10, 7));
  // The contour runs through pixel centres: a 9 x 6 polygon.
  EXPECT_DOUBLE_EQ(cv::contourArea(contours[0]), 54.0);
}

}  // namespace
