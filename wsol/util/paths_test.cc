#include "wsol/util/paths.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
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
  EXPECT_EQ(InWorkspace("/abs/weights.pt"), "/abs/weights.pt");
}

TEST(PathsTest, OutsideBazelTheWorkspaceIsFoundAboveTheWorkingDirectory) {
  ::unsetenv("BUILD_WORKING_DIRECTORY");
  ::unsetenv("BUILD_WORKSPACE_DIRECTORY");
  const std::string test_srcdir = std::getenv("TEST_SRCDIR") ? std::getenv("TEST_SRCDIR") : "";
  const std::filesystem::path before = std::filesystem::current_path();
  // Under `bazel test` the runfiles stand for the workspace.
  ::setenv("TEST_SRCDIR", "/somewhere", 1);
  EXPECT_EQ(WorkspaceRoot(), "");
  // bazel-bin/... started in a folder of a checkout: the folder with WORKSPACE.
  ::unsetenv("TEST_SRCDIR");
  const std::filesystem::path root = std::filesystem::path(::testing::TempDir()) / "checkout";
  std::filesystem::create_directories(root / "paper_tables" / "specs");
  std::ofstream(root / "WORKSPACE") << "workspace(name = \"x\")\n";
  std::filesystem::current_path(root / "paper_tables" / "specs");
  EXPECT_EQ(WorkspaceRoot(), root.string());
  EXPECT_EQ(InWorkspace("baselines/pretrained/w.pt"),
            (root / "baselines/pretrained/w.pt").string());
  std::filesystem::current_path(root);
  EXPECT_EQ(WorkspaceRoot(), "");  // At the root itself: paths stay relative.
  std::filesystem::current_path(before);
  if (!test_srcdir.empty()) ::setenv("TEST_SRCDIR", test_srcdir.c_str(), 1);
}

}  // namespace
}  // namespace wsol
