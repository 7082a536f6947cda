#include "wsol/util/file_io.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wsol/util/fault_injection.h"
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
  EXPECT_THAT(WriteFileAtomically(path, "x"), StatusIs(absl::StatusCode::kPermissionDenied,
                                                       AllOf(HasSubstr("no/such/folder/x.txt.tmp."),
                                                             HasSubstr("for writing: No such"))));
}

using ::wsol::testing::EntriesOf;

TEST(FileIoTest, ALinkIsFollowedNotReplaced) {
  const std::string dir = ::testing::TempDir() + "/link_followed";
  std::filesystem::create_directories(dir + "/real");
  ASSERT_THAT(WriteFileAtomically(dir + "/real/results.json", "old"), IsOk());
  std::filesystem::create_symlink("real/results.json", dir + "/link.json");
  ASSERT_THAT(WriteFileAtomically(dir + "/link.json", "new"), IsOk());
  EXPECT_TRUE(std::filesystem::is_symlink(dir + "/link.json"));
  EXPECT_EQ(Read(dir + "/real/results.json"), "new");
  EXPECT_THAT(EntriesOf(dir + "/real"), ::testing::ElementsAre("results.json"));
}

TEST(FileIoTest, ADeviceFifoOrFolderIsNeverReplaced) {
  const std::string dir = ::testing::TempDir() + "/not_replaced";
  std::filesystem::create_directories(dir + "/a_dir");
  ASSERT_EQ(mkfifo((dir + "/fifo").c_str(), 0600), 0);
  // A link to the machine's own /dev/null: the device is refused, and the link stays a
  // link (the old writer renamed a regular file over it).
  std::filesystem::create_symlink("/dev/null", dir + "/null_link");
  EXPECT_THAT(WriteFileAtomically(dir + "/null_link", "x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("null_link (a link to /dev/null): is a character device"),
                             HasSubstr("written only as a regular file"))));
  EXPECT_TRUE(std::filesystem::is_symlink(dir + "/null_link"));
  EXPECT_THAT(WriteFileAtomically(dir + "/fifo", "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("fifo: is a FIFO")));
  EXPECT_TRUE(std::filesystem::is_fifo(dir + "/fifo"));
  EXPECT_THAT(WriteFileAtomically(dir + "/a_dir", "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a_dir: is a directory")));
  std::filesystem::create_symlink("loop_b", dir + "/loop_a");
  std::filesystem::create_symlink("loop_a", dir + "/loop_b");
  EXPECT_THAT(WriteFileAtomically(dir + "/loop_a", "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too many levels")));
  EXPECT_THAT(EntriesOf(dir),
              ::testing::ElementsAre("a_dir", "fifo", "loop_a", "loop_b", "null_link"));
}

TEST(FileIoTest, AFullDiskIsANamedErrorAndLeavesTheOldFileAndNoTemporary) {
  const std::string dir = ::testing::TempDir() + "/full_disk";
  std::filesystem::create_directories(dir);
  ASSERT_THAT(WriteFileAtomically(dir + "/checkpoint.pt", "old"), IsOk());
  absl::Status status;
  {
    ::wsol::testing::FileSizeLimit full_disk(1000);
    status = WriteFileAtomically(dir + "/checkpoint.pt", std::string(5000, 'x'));
  }
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted,
                               AllOf(HasSubstr("checkpoint.pt: write failed: File too large"),
                                     HasSubstr("free space"))));
  EXPECT_EQ(Read(dir + "/checkpoint.pt"), "old");
  EXPECT_THAT(EntriesOf(dir), ::testing::ElementsAre("checkpoint.pt"));
}

TEST(FileIoTest, AWriterThatFailsLeavesNoTemporary) {
  const std::string dir = ::testing::TempDir() + "/writer_fails";
  std::filesystem::create_directories(dir);
  std::string seen;
  EXPECT_THAT(WriteAtomicallyThrough(dir + "/figure.png",
                                     [&](const std::string& temporary) {
                                       seen = temporary;
                                       std::ofstream(temporary) << "half";
                                       return absl::InternalError("encoder failed");
                                     }),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("encoder failed")));
  EXPECT_THAT(seen, HasSubstr("figure.png.tmp."));
  EXPECT_TRUE(EntriesOf(dir).empty());
}

TEST(FileIoTest, TemporariesOfEndedProcessesAreRemoved) {
  const std::string dir = ::testing::TempDir() + "/stale";
  std::filesystem::create_directories(dir + "/kept_folder");
  const long dead = ::wsol::testing::EndedProcessId();
  const std::vector<std::string> files = {
      absl::StrCat("checkpoint.pt.tmp.", dead),          // The trainer's old name.
      absl::StrCat("results.json.tmp.", dead, ".3"),     // Dead: removed.
      absl::StrCat("history.csv.tmp.", getpid(), ".0"),  // Ours, still writing: kept.
      "notes.tmp.txt", "results.json"};                  // Not temporaries: kept.
  for (const std::string& f : files) std::ofstream(dir + "/" + f) << "x";
  std::filesystem::create_directories(absl::StrCat(dir, "/.tmp-0123abcd-", dead, "-0-99"));
  std::filesystem::create_directories(absl::StrCat(dir, "/.tmp-0123abcd-", getpid(), "-1-99"));
  // Too young for a cache other machines may share: kept.
  EXPECT_EQ(RemoveStaleTemporaries(dir, absl::Hours(1)), 0);
  EXPECT_EQ(RemoveStaleTemporaries(dir), 3);
  EXPECT_THAT(EntriesOf(dir),
              ::testing::ElementsAre(absl::StrCat(".tmp-0123abcd-", getpid(), "-1-99"),
                                     absl::StrCat("history.csv.tmp.", getpid(), ".0"),
                                     "kept_folder", "notes.tmp.txt", "results.json"));
}

}  // namespace
}  // namespace wsol
