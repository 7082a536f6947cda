#include "wsol/util/subprocess.h"

#include <fstream>
#include <sstream>
#include <string>

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
  absl::StatusOr<Subprocess> child = Subprocess::Start(
      {.argv = {"/bin/sh", "-c", "echo \"$WSOL_A-$WSOL_B\"; exit 3"},
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
  EXPECT_THAT(child->Wait(absl::Milliseconds(200)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(SubprocessTest, MissingProgramIsAnError) {
  absl::StatusOr<Subprocess> child = Subprocess::Start({.argv = {"/nonexistent/program"}});
  EXPECT_FALSE(child.ok());
}

}  // namespace
}  // namespace wsol
