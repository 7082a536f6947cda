#include "wsol/util/paths.h"

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace wsol {
namespace {

TEST(PathsTest, RelativePathsFollowBazelRunDirectories) {
  ::unsetenv("BUILD_WORKING_DIRECTORY");
  ::unsetenv("BUILD_WORKSPACE_DIRECTORY");
  EXPECT_EQ(FromInvocationDir("data/cub"), "data/cub");
  EXPECT_EQ(InWorkspace("wsol_cache"), "wsol_cache");
  // Folders of this test's own temporary directory stand for where `bazel run` was
  // called and for the workspace.
  const std::string invocation = ::testing::TempDir() + "/invocation";
  const std::string workspace = ::testing::TempDir() + "/workspace";
  ::setenv("BUILD_WORKING_DIRECTORY", invocation.c_str(), 1);
  ::setenv("BUILD_WORKSPACE_DIRECTORY", workspace.c_str(), 1);
  EXPECT_EQ(FromInvocationDir("data/cub"), invocation + "/data/cub");
  EXPECT_EQ(FromInvocationDir(workspace + "/x"), workspace + "/x");  // Absolute: kept.
  EXPECT_EQ(FromInvocationDir(""), "");
  EXPECT_EQ(InWorkspace("wsol_cache"), workspace + "/wsol_cache");
}

}  // namespace
}  // namespace wsol
