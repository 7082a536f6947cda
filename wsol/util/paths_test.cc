#include "wsol/util/paths.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace wsol {
namespace {

TEST(PathsTest, RelativePathsFollowBazelRunDirectories) {
  ::unsetenv("BUILD_WORKING_DIRECTORY");
  ::unsetenv("BUILD_WORKSPACE_DIRECTORY");
  EXPECT_EQ(FromInvocationDir("data/cub"), "data/cub");
  EXPECT_EQ(InWorkspace("wsol_cache"), "wsol_cache");
  ::setenv("BUILD_WORKING_DIRECTORY", "/home/me/exp", 1);
  ::setenv("BUILD_WORKSPACE_DIRECTORY", "/home/me/wsol_repro", 1);
  EXPECT_EQ(FromInvocationDir("data/cub"), "/home/me/exp/data/cub");
  EXPECT_EQ(FromInvocationDir("/abs/x"), "/abs/x");
  EXPECT_EQ(FromInvocationDir(""), "");
  EXPECT_EQ(InWorkspace("wsol_cache"), "/home/me/wsol_repro/wsol_cache");
}

}  // namespace
}  // namespace wsol
