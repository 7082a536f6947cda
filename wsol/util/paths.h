// paths.h
//
// Paths on the command line of `bazel run`, whose working directory is the runfiles tree.
// One rule for every binary: a relative path the user types refers to the directory
// `bazel run` was called in; a default inside the source tree (the wsol_cache folder)
// refers to the workspace. Outside `bazel run` both leave paths unchanged.
//
//   options.out = wsol::FromInvocationDir(absl::GetFlag(FLAGS_out));
//   options.cache_dir = wsol::InWorkspace("wsol_cache");
#ifndef WSOL_UTIL_PATHS_H_
#define WSOL_UTIL_PATHS_H_

#include <cstdlib>
#include <filesystem>
#include <string>

namespace wsol {

namespace internal {
inline std::string UnderEnvDir(const char* variable, const std::string& path) {
  const char* dir = std::getenv(variable);
  if (path.empty() || dir == nullptr || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(dir) / path).string();
}
}  // namespace internal

// A relative path typed by the user: under `bazel run`, relative to BUILD_WORKING_DIRECTORY.
inline std::string FromInvocationDir(const std::string& path) {
  return internal::UnderEnvDir("BUILD_WORKING_DIRECTORY", path);
}

// A default path inside the source tree: under `bazel run`, relative to the workspace root.
inline std::string InWorkspace(const std::string& path) {
  return internal::UnderEnvDir("BUILD_WORKSPACE_DIRECTORY", path);
}

}  // namespace wsol

#endif  // WSOL_UTIL_PATHS_H_
