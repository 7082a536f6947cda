#include "wsol/util/subprocess.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "wsol/util/status_matchers.h"

namespace wsol {
namespace {

using ::wsol::testing::StatusIs;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(SubprocessTest, PassesEnvironmentAndCapturesOutput) {
  const std::string out = ::testing::TempDir() + "/env.out";
  absl::StatusOr<Subprocess> child =
      Subprocess::Start({.argv = {"/bin/sh", "-c", "echo \"$WSOL_A-$WSOL_B\"; exit 3"},
                         .env = {{"WSOL_A", "one"}, {"WSOL_B", "two"}, {"WSOL_B", "three"}},
                         .stdout_path = out});
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<int> code = child->Wait(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 3);
  EXPECT_EQ(ReadAll(out), "one-three\n");  // A later override of the same name wins.
}

TEST(SubprocessTest, SignalGivesItsShellStatus) {
  absl::StatusOr<Subprocess> child =
      Subprocess::Start({.argv = {"/bin/sh", "-c", "kill -TERM $$"}});
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<int> code = child->Wait(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 128 + 15);
}

TEST(SubprocessTest, DeadlineKillsTheChild) {
  absl::StatusOr<Subprocess> child = Subprocess::Start({.argv = {"/bin/sleep", "60"}});
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_THAT(child->Wait(absl::Milliseconds(200)), StatusIs(absl::StatusCode::kDeadlineExceeded));
}

// Whether `pid` is a process that has not ended (a zombie has).
bool Running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

TEST(SubprocessTest, ATerminatedParentTakesItsChildrenWithIt) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t parent = fork();
  if (parent == 0) {
    // The parent of a long child (a table with --jobs training a run).
    ForwardTerminationToChildren();
    absl::StatusOr<Subprocess> child = Subprocess::Start({.argv = {"/bin/sleep", "120"}});
    const pid_t pid = child.ok() ? child->pid() : -1;
    if (write(pipe_fds[1], &pid, sizeof(pid)) != sizeof(pid)) _exit(3);
    pause();
    _exit(4);  // Not reached: SIGTERM ends it.
  }
  close(pipe_fds[1]);
  pid_t child = -1;
  ASSERT_EQ(read(pipe_fds[0], &child, sizeof(child)), static_cast<ssize_t>(sizeof(child)));
  ASSERT_GT(child, 0);
  EXPECT_TRUE(Running(child));
  kill(parent, SIGTERM);
  int status = 0;
  ASSERT_EQ(waitpid(parent, &status, 0), parent);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);  // Ended as SIGTERM ends.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (Running(child) && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  EXPECT_FALSE(Running(child)) << "the child " << child << " outlived its terminated parent";
  if (Running(child)) kill(child, SIGKILL);
}

TEST(SubprocessTest, MissingProgramIsAnError) {
  absl::StatusOr<Subprocess> child = Subprocess::Start({.argv = {"/nonexistent/program"}});
  EXPECT_FALSE(child.ok());
}

}  // namespace
}  // namespace wsol
