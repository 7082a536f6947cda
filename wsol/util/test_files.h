// test_files.h (testonly)
//
// Helpers for tests that write small dataset fixtures in a dataset's real layout.
//
//   const std::string dir = wsol::testing::FreshTestDir("cub");
//   WriteTestFile(dir + "/images.txt", "1 001.A/a.jpg\n");
//   WriteTestImage(dir + "/images/001.A/a.jpg", 500, 335);
#ifndef WSOL_UTIL_TEST_FILES_H_
#define WSOL_UTIL_TEST_FILES_H_

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "zlib.h"

namespace wsol::testing {

// FreshTestDir returns an empty folder `name` under the test's temporary directory.
inline std::string FreshTestDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::filesystem::path dir =
      std::filesystem::path(tmp != nullptr ? tmp : std::filesystem::temp_directory_path()) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// WriteTestFile writes `content` to `path`, creating its folder.
inline void WriteTestFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

// WriteTestImage writes a width x height colour image whose pixels depend on `seed`
// (format from the extension: .jpg, .png, ...), creating its folder.
inline void WriteTestImage(const std::string& path, int width, int height, int seed = 0) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  cv::Mat image(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(x * 3 + seed * 40),
                                            static_cast<uint8_t>(y * 5 + seed * 20),
                                            static_cast<uint8_t>((x + y + seed * 70) % 256));
    }
  }
  ASSERT_TRUE(cv::imwrite(path, image)) << path;
}

// WriteGrayPng writes an 8-bit single-channel PNG holding `values` (row-major).
inline void WriteGrayPng(const std::string& path, int width, int height,
                         const std::vector<uint8_t>& values) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  cv::Mat image(height, width, CV_8UC1);
  std::copy(values.begin(), values.end(), image.data);
  ASSERT_TRUE(cv::imwrite(path, image)) << path;
}

// ReadGray reads an 8-bit grayscale image (empty Mat when unreadable).
inline cv::Mat ReadGray(const std::string& path) { return cv::imread(path, cv::IMREAD_GRAYSCALE); }

// IdxBytes is an unsigned-byte IDX file (MNIST's format) holding `data` with shape `dims`.
inline std::string IdxBytes(const std::vector<int>& dims, const std::vector<uint8_t>& data) {
  std::string bytes = {0, 0, 8, static_cast<char>(dims.size())};
  for (int d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(d >> shift));
  }
  bytes.append(data.begin(), data.end());
  return bytes;
}

// WriteGzipFile writes `content` gzip-compressed to `path`, creating its folder.
inline void WriteGzipFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  ASSERT_EQ(gzwrite(file, content.data(), static_cast<unsigned>(content.size())),
            static_cast<int>(content.size()));
  gzclose(file);
}

}  // namespace wsol::testing

#endif  // WSOL_UTIL_TEST_FILES_H_
