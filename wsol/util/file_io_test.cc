#include "wsol/util/file_io.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wsol/util/status_matchers.h"

namespace wsol {
namespace {

using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(FileIoTest, ReplacesTheFileAndLeavesNoTemporary) {
  const std::string path = ::testing::TempDir() + "/atomic.txt";
  ASSERT_THAT(WriteFileAtomically(path, "first"), IsOk());
  ASSERT_THAT(WriteFileAtomically(path, std::string("se\0cond", 7)), IsOk());
  EXPECT_EQ(Read(path), std::string("se\0cond", 7));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(FileIoTest, AMissingFolderIsNamedWithTheReason) {
  const std::string path = ::testing::TempDir() + "/no/such/folder/x.txt";
  EXPECT_THAT(WriteFileAtomically(path, "x"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("no/such/folder/x.txt.tmp: cannot open for writing: No such")));
}

}  // namespace
}  // namespace wsol
