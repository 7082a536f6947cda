#include "wsol/util/file_io.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/str_cat.h"
#include "wsol/util/status_matchers.h"

namespace wsol {
namespace {

using ::testing::AllOf;
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
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(::testing::TempDir())) {
    files += entry.path().filename().string().rfind("atomic.txt", 0) == 0;
  }
  EXPECT_EQ(files, 1);  // No temporary left beside it.
}

TEST(FileIoTest, TemporaryNamesAreUniqueAndCarryThePid) {
  const std::string a = TemporaryNameFor("/x/f.json"), b = TemporaryNameFor("/x/f.json");
  EXPECT_NE(a, b);
  EXPECT_THAT(a, HasSubstr(absl::StrCat("/x/f.json.tmp.", getpid(), ".")));
}

TEST(FileIoTest, ReadsOnlyRegularFilesAndNamesWhatElseItFound) {
  const std::string dir = ::testing::TempDir() + "/read_regular";
  std::filesystem::create_directories(dir + "/a_dir");
  ASSERT_THAT(WriteFileAtomically(dir + "/file", std::string("a\0b", 3)), IsOk());
  absl::StatusOr<std::string> bytes = ReadRegularFile(dir + "/file");
  ASSERT_THAT(bytes, IsOk());
  EXPECT_EQ(*bytes, std::string("a\0b", 3));
  EXPECT_THAT(ReadRegularFile(dir + "/missing", "spec file"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("read_regular/missing: cannot open spec file")));
  EXPECT_THAT(ReadRegularFile(dir + "/a_dir", "score map"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a_dir: is a directory, expected a score map")));
  // A FIFO would block a reader forever: refused before it is opened.
  ASSERT_EQ(mkfifo((dir + "/fifo").c_str(), 0600), 0);
  EXPECT_THAT(ReadRegularFile(dir + "/fifo"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("fifo: is not a regular file (a FIFO, socket or device)")));
}

TEST(FileIoTest, AMissingFolderIsNamedWithTheReason) {
  const std::string path = ::testing::TempDir() + "/no/such/folder/x.txt";
  EXPECT_THAT(WriteFileAtomically(path, "x"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("no/such/folder/x.txt.tmp."),
                             HasSubstr("cannot open for writing: No such"))));
}

}  // namespace
}  // namespace wsol
