#include "wsol/metrics/npy.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wsol/util/status_matchers.h"

namespace wsol::metrics {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

// A version 1.0 header as numpy writes it: magic, version, little-endian length, the
// dict padded with spaces and a newline to a multiple of 64 bytes.
std::string Header(const std::string& dict, int major = 1) {
  std::string padded = dict;
  const size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + padded.size() + 1) % 64 != 0) padded += ' ';
  padded += '\n';
  std::string bytes("\x93NUMPY", 6);
  bytes += static_cast<char>(major);
  bytes += '\0';
  bytes += static_cast<char>(padded.size() & 0xff);
  bytes += static_cast<char>(padded.size() >> 8);
  if (major != 1) bytes += std::string(2, '\0');
  return bytes + padded;
}

std::string Floats(std::initializer_list<float> values) {
  std::string data;
  for (const float v : values) data.append(reinterpret_cast<const char*>(&v), sizeof v);
  return data;
}

TEST(ParseNpyTest, ReadsWhatNumpySaves) {
  // Bytes of np.save(f, np.array([[0.5, 1, 0], [0.25, 0.75, 0.125]], dtype='<f4'))
  // recorded with numpy 1.24.2: a 118-byte dict padded to a 128-byte header.
  const std::string bytes = std::string("\x93NUMPY\x01\x00v\x00", 10) +
                            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
                            std::string(58, ' ') + "\n" +
                            std::string(
                                "\x00\x00\x00\x3f\x00\x00\x80\x3f\x00\x00\x00\x00"
                                "\x00\x00\x80\x3e\x00\x00\x40\x3f\x00\x00\x00\x3e",
                                24);
  ASSERT_EQ(bytes.size(), 152u);
  absl::StatusOr<cv::Mat> map = ParseNpy(bytes, "saved.npy");
  ASSERT_THAT(map, IsOk());
  EXPECT_EQ(map->type(), CV_32FC1);
  EXPECT_EQ(map->rows, 2);
  EXPECT_EQ(map->cols, 3);
  EXPECT_EQ(map->at<float>(0, 0), 0.5f);
  EXPECT_EQ(map->at<float>(0, 1), 1.0f);
  EXPECT_EQ(map->at<float>(1, 2), 0.125f);
}

TEST(ParseNpyTest, ReadsVersion2AndDoubleQuotes) {
  const double data[2] = {0.25, 1.0};
  const std::string bytes =
      Header("{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (1, 2)}", 2) +
      std::string(reinterpret_cast<const char*>(data), sizeof data);
  absl::StatusOr<cv::Mat> map = ParseNpy(bytes, "v2.npy");
  ASSERT_THAT(map, IsOk());
  EXPECT_EQ(map->type(), CV_64FC1);
  EXPECT_EQ(map->at<double>(0, 1), 1.0);
}

TEST(ParseNpyTest, ErrorsNameTheFileDtypeAndShape) {
  const std::string two_floats = Floats({0.f, 1.f});
  EXPECT_THAT(
      ParseNpy(Header("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 2), }") + two_floats,
               "big.npy"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("big.npy"), HasSubstr("dtype >f4, shape (1, 2)"))));
  EXPECT_THAT(ParseNpy(Header("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }") +
                           std::string(8, '\0'),
                       "int.npy"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dtype <i8")));
  EXPECT_THAT(
      ParseNpy(Header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }") + two_floats,
               "flat.npy"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("flat.npy: expected a 2-D score map"), HasSubstr("shape (2,)"))));
  EXPECT_THAT(ParseNpy(Header("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 2), }") +
                           two_floats,
                       "cube.npy"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("shape (1, 1, 2)")));
  EXPECT_THAT(
      ParseNpy(Header("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 2), }") + two_floats,
               "fortran.npy"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("C order")));
  EXPECT_THAT(
      ParseNpy(Header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }") + two_floats,
               "short.npy"),
      StatusIs(absl::StatusCode::kDataLoss,
               AllOf(HasSubstr("short.npy: expected 16 data bytes"), HasSubstr("found 8"))));
  EXPECT_THAT(ParseNpy("PK\x03\x04 not npy at all", "zip.npy"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("zip.npy: not a .npy file")));
  EXPECT_THAT(ParseNpy(Header("{'descr': '<f4', 'shape': (1, 2), }") + two_floats, "odd.npy"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("fortran_order")));
}

TEST(NpyTest, WriteThenReadRoundTrips) {
  const std::string dir = ::testing::TempDir() + "/npy_round_trip/sub";
  cv::Mat f32 = (cv::Mat_<float>(2, 3) << 0.f, 0.1f, 0.2f, 0.3f, 0.4f, 1.f);
  cv::Mat f64 = (cv::Mat_<double>(3, 1) << 1.0 / 3, 0.5, 0.0);
  ASSERT_THAT(WriteNpy(dir + "/a.npy", f32), IsOk());
  ASSERT_THAT(WriteNpy(dir + "/b.npy", f64(cv::Rect(0, 0, 1, 2))), IsOk());
  absl::StatusOr<cv::Mat> a = ReadNpy(dir + "/a.npy");
  absl::StatusOr<cv::Mat> b = ReadNpy(dir + "/b.npy");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(cv::norm(*a, f32, cv::NORM_INF), 0.0);
  EXPECT_EQ(b->rows, 2);
  EXPECT_EQ(b->at<double>(0, 0), 1.0 / 3);
  // numpy's layout: the header ends on a 64-byte boundary.
  EXPECT_EQ(std::filesystem::file_size(dir + "/a.npy"), 128u + 24u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                          std::filesystem::directory_iterator()),
            2);  // a.npy and b.npy, no temporary.
  EXPECT_THAT(WriteNpy(dir + "/c.npy", cv::Mat(2, 2, CV_8UC1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("c.npy")));
  EXPECT_THAT(ReadNpy(dir + "/missing.npy"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.npy")));
}

// A score map path that is a folder or a FIFO: a named error, not an abort (a folder
// read as a file) or a reader blocked forever (a FIFO).
TEST(NpyTest, OnlyRegularFilesAreRead) {
  const std::string dir = ::testing::TempDir() + "/npy_not_files";
  std::filesystem::create_directories(dir + "/folder.npy");
  EXPECT_THAT(ReadNpy(dir + "/folder.npy"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("folder.npy: is a directory, expected a .npy score map")));
  ASSERT_EQ(mkfifo((dir + "/fifo.npy").c_str(), 0600), 0);
  EXPECT_THAT(ReadNpy(dir + "/fifo.npy"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                   HasSubstr("fifo.npy: is not a regular file")));
}

// A 20000 x 20000 float32 map (1.6 GB, a sparse file here) where 64 x 64 is expected:
// refused from its header, before its data is read.
TEST(NpyTest, AWrongShapeIsRefusedBeforeTheDataIsRead) {
  const std::string path = ::testing::TempDir() + "/huge.npy";
  const std::string header =
      Header("{'descr': '<f4', 'fortran_order': False, 'shape': (20000, 20000), }");
  std::ofstream(path, std::ios::binary) << header;
  std::filesystem::resize_file(path, header.size() + 20000ull * 20000ull * 4);
  EXPECT_THAT(
      ReadNpy(path, 64, 64),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("huge.npy: score map of shape (20000, 20000); expected (64, 64)")));
  // The right shape is read as before.
  const std::string small = ::testing::TempDir() + "/small.npy";
  std::ofstream(small, std::ios::binary)
      << Header("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }") + Floats({0.25f, 1});
  absl::StatusOr<cv::Mat> map = ReadNpy(small, 1, 2);
  ASSERT_THAT(map, IsOk());
  EXPECT_FLOAT_EQ(map->at<float>(0, 1), 1.0f);
  EXPECT_THAT(ReadNpy(small, 2, 2), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace wsol::metrics
