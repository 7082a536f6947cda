// A .pt file saved by LibTorch passes; the same file with bytes overwritten inside a
// tensor, cut short, or replaced by a folder is refused with the file (and member) named.
#include "wsol/util/zip_check.h"

#include <torch/serialize.h>
#include <torch/types.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wsol/util/file_io.h"
#include "wsol/util/status_matchers.h"

namespace wsol {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

std::string Read(const std::string& path) { return ReadRegularFile(path).value(); }

void Write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(ZipCheckTest, ALibTorchFilePassesAndADamagedOneIsNamed) {
  const std::string dir = ::testing::TempDir();
  const std::string good = dir + "/weights.pt";
  torch::serialize::OutputArchive archive;
  archive.write("weight", torch::arange(20000, torch::kFloat));
  archive.write("bias", torch::ones({7}));
  archive.save_to(good);
  EXPECT_THAT(VerifyZipChecksums(good), IsOk());

  // 100 bytes overwritten in the middle of the file, inside the big tensor's data: LibTorch
  // would load it as other weights.
  std::string bytes = Read(good);
  ASSERT_GT(bytes.size(), 80000u);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 100; ++i) bytes[i] ^= 0x5a;
  Write(dir + "/damaged.pt", bytes);
  EXPECT_THAT(VerifyZipChecksums(dir + "/damaged.pt"),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("damaged.pt: member "), HasSubstr("/data/"),
                             HasSubstr("fails its CRC-32 check"))));

  Write(dir + "/short.pt", Read(good).substr(0, bytes.size() - 200));
  EXPECT_THAT(VerifyZipChecksums(dir + "/short.pt"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("short.pt: ")));
  Write(dir + "/empty.pt", "");
  EXPECT_THAT(VerifyZipChecksums(dir + "/empty.pt"),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("empty.pt: not a whole zip archive (too short)")));
  std::filesystem::create_directories(dir + "/folder.pt");
  EXPECT_THAT(VerifyZipChecksums(dir + "/folder.pt"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("folder.pt: is a directory")));
}

// A one-bit change anywhere in a tensor's bytes is caught.
TEST(ZipCheckTest, EveryByteOfATensorIsCovered) {
  const std::string path = ::testing::TempDir() + "/small.pt";
  const torch::Tensor w = torch::arange(64, torch::kFloat);
  torch::serialize::OutputArchive archive;
  archive.write("w", w);
  archive.save_to(path);
  const std::string bytes = Read(path);
  const std::string payload(static_cast<const char*>(w.data_ptr()), 64 * sizeof(float));
  const size_t start = bytes.find(payload);
  ASSERT_NE(start, std::string::npos);
  for (size_t i = start; i < start + payload.size(); ++i) {
    std::string changed = bytes;
    changed[i] ^= 0x01;
    EXPECT_THAT(VerifyZipChecksumsOf(changed, "small.pt"),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("fails its CRC-32 check")))
        << "byte " << i - start << " of the tensor";
  }
}

}  // namespace
}  // namespace wsol
