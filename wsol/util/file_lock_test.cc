// The run lock: one holder at a time, the holder named to the others, a stale lock (its
// process ended) taken over, another host's lock respected, and of many processes racing
// for one lock exactly one wins.
#include "wsol/util/file_lock.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wsol/util/status_matchers.h"

namespace wsol {
namespace {

using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

std::string Host() {
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  return name;
}

std::string LockPath(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/locks";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name;
  std::filesystem::remove(path);
  return path;
}

TEST(FileLockTest, OneHolderAtATimeAndTheOthersAreToldWho) {
  const std::string path = LockPath("one.lock");
  {
    absl::StatusOr<FileLock> first = FileLock::Acquire(path);
    ASSERT_THAT(first, IsOk());
    EXPECT_THAT(FileLock::Acquire(path),
                StatusIs(absl::StatusCode::kUnavailable,
                         HasSubstr(absl::StrCat("one.lock is held by pid ", getpid(), " on host ",
                                                Host()))));
    ASSERT_TRUE(FileLock::Holder(path).has_value());
    EXPECT_THAT(*FileLock::Holder(path), HasSubstr(absl::StrCat("pid ", getpid())));
  }
  EXPECT_FALSE(std::filesystem::exists(path));  // Released.
  EXPECT_FALSE(FileLock::Holder(path).has_value());
  EXPECT_THAT(FileLock::Acquire(path), IsOk());
}

TEST(FileLockTest, AStaleLockOnThisHostIsTakenOver) {
  // A process that has ended (forked and reaped).
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);
  const std::string path = LockPath("stale.lock");
  std::ofstream(path) << Host() << " " << child << " 12345 2026-01-01T00:00:00Z\n";
  EXPECT_FALSE(FileLock::Holder(path).has_value());
  absl::StatusOr<FileLock> lock = FileLock::Acquire(path);
  ASSERT_THAT(lock, IsOk());
  EXPECT_THAT(*FileLock::Holder(path), HasSubstr(absl::StrCat("pid ", getpid())));

  // This process's pid with another start time: the pid was reused, the holder is gone.
  const std::string reused = LockPath("reused.lock");
  std::ofstream(reused) << Host() << " " << getpid() << " 1 2026-01-01T00:00:00Z\n";
  EXPECT_THAT(FileLock::Acquire(reused), IsOk());
}

TEST(FileLockTest, AnotherHostsLockIsRespected) {
  const std::string path = LockPath("remote.lock");
  std::ofstream(path) << "some-other-host 4242 999 2026-01-01T00:00:00Z\n";
  EXPECT_THAT(FileLock::Acquire(path),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("held by pid 4242 on host some-other-host since "
                                 "2026-01-01T00:00:00Z (another host: delete the file")));
  ASSERT_TRUE(FileLock::Holder(path).has_value());
}

TEST(FileLockTest, OfManyProcessesRacingExactlyOneWins) {
  const std::string path = LockPath("race.lock");
  const std::string winners = ::testing::TempDir() + "/locks/winners";
  std::filesystem::remove(winners);
  std::vector<pid_t> children;
  for (int i = 0; i < 8; ++i) {
    const pid_t child = fork();
    if (child == 0) {
      bool won = false;
      {
        absl::StatusOr<FileLock> lock = FileLock::Acquire(path);
        if (lock.ok()) {
          won = true;
          std::ofstream(winners, std::ios::app) << getpid() << "\n";
          absl::SleepFor(absl::Milliseconds(300));  // Hold it while the others try.
        }
      }  // Released here (_exit runs no destructors).
      _exit(won ? 0 : 1);
    }
    children.push_back(child);
  }
  int won = 0;
  for (pid_t child : children) {
    int status = 0;
    waitpid(child, &status, 0);
    won += WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  EXPECT_EQ(won, 1);
  std::ifstream in(winners);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  EXPECT_EQ(lines, 1);
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace wsol
