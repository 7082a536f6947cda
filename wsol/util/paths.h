// paths.h
//
// Where relative paths point, one rule for every binary:
// - a path the user types on the command line is relative to the directory the command
//   was called in (under `bazel run`, BUILD_WORKING_DIRECTORY): FromInvocationDir;
// - a path written inside a spec (pretrained weights, data roots, an output folder) and
//   the default cache folder are relative to the workspace root: InWorkspace.
// The workspace root is BUILD_WORKSPACE_DIRECTORY under `bazel run`; under `bazel test`
// the working directory (the runfiles, which mirror the workspace); otherwise the
// nearest folder at or above the working directory that holds a WORKSPACE file (so
// bazel-bin/... works from any folder of the checkout), else the working directory.
//
//   options.out = wsol::FromInvocationDir(absl::GetFlag(FLAGS_out));
//   options.cache_dir = wsol::InWorkspace("wsol_cache");
#ifndef WSOL_UTIL_PATHS_H_
#define WSOL_UTIL_PATHS_H_

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace wsol {

namespace internal {
inline std::string UnderDir(const std::string& dir, const std::string& path) {
  if (path.empty() || dir.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(dir) / path).string();
}
}  // namespace internal

// The workspace root as above; "" when it is the working directory.
inline std::string WorkspaceRoot() {
  if (const char* dir = std::getenv("BUILD_WORKSPACE_DIRECTORY"); dir != nullptr && *dir) {
    return dir;
  }
  if (std::getenv("TEST_SRCDIR") != nullptr) return "";
  std::error_code error;
  const std::filesystem::path here = std::filesystem::current_path(error);
  if (error) return "";
  for (std::filesystem::path p = here; !p.empty(); p = p.parent_path()) {
    if (std::filesystem::exists(p / "WORKSPACE", error)) return p == here ? "" : p.string();
    if (p == p.root_path()) break;
  }
  return "";
}

// A relative path typed by the user: under `bazel run`, relative to BUILD_WORKING_DIRECTORY.
inline std::string FromInvocationDir(const std::string& path) {
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
  return internal::UnderDir(dir == nullptr ? "" : dir, path);
}

// A path inside a spec, or a default inside the source tree: relative to the workspace root.
inline std::string InWorkspace(const std::string& path) {
  return internal::UnderDir(WorkspaceRoot(), path);
}

}  // namespace wsol

#endif  // WSOL_UTIL_PATHS_H_
