#include "wsol/util/file_io.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace wsol {
namespace {

namespace fs = std::filesystem;

// What a non-regular file is, for messages.
std::string KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// A write error as a status naming `path`: a full disk or a size limit is
// ResourceExhausted (the user can free space), anything else DataLoss.
absl::Status WriteError(const std::string& path, const std::string& action, int error) {
  const std::string message = absl::StrCat(path, ": ", action, ": ", std::strerror(error));
  if (error == ENOSPC || error == EDQUOT || error == EFBIG) {
    return absl::ResourceExhaustedError(
        absl::StrCat(message, " (free space on that file system, or write elsewhere)"));
  }
  return absl::DataLossError(message);
}

// Writes `bytes` into the new file `temporary` (which must not exist).
absl::Status WriteNewFile(const std::string& temporary, const std::string& target,
                          absl::string_view bytes) {
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat(target, ": cannot open ", temporary, " for writing: ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : ENOSPC;
      close(fd);
      return WriteError(target, "write failed", error);
    }
    written += static_cast<size_t>(n);
  }
  if (close(fd) != 0) return WriteError(target, "write failed on close", errno);
  return absl::OkStatus();
}

// The pid in a temporary's name ("x.tmp.<pid>[.<n>]" or ".tmp-<name>-<pid>-..."), 0 if none.
long TemporaryPid(const std::string& name, bool directory) {
  long pid = 0;
  if (directory) {
    if (name.rfind(".tmp-", 0) != 0) return 0;
    const std::vector<std::string> parts = absl::StrSplit(name.substr(5), '-');
    if (parts.size() < 2 || !absl::SimpleAtoi(parts[1], &pid)) return 0;
    return pid;
  }
  const size_t at = name.rfind(".tmp.");
  if (at == std::string::npos || at == 0) return 0;
  const std::vector<std::string> parts = absl::StrSplit(name.substr(at + 5), '.');
  if (parts.empty() || parts.size() > 2 || !absl::SimpleAtoi(parts[0], &pid)) return 0;
  long counter = 0;
  if (parts.size() == 2 && !absl::SimpleAtoi(parts[1], &counter)) return 0;
  return pid;
}

}  // namespace

std::string TemporaryNameFor(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return absl::StrCat(path, ".tmp.", getpid(), ".", counter++);
}

absl::StatusOr<std::string> OutputTarget(const std::string& path) {
  std::string target = path;
  for (int hop = 0; hop < 40; ++hop) {
    struct stat info;
    if (lstat(target.c_str(), &info) != 0)
      return target;  // A new file (or a folder error
                      // the write will name).
    if (S_ISREG(info.st_mode)) return target;
    if (!S_ISLNK(info.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, target == path ? "" : absl::StrCat(" (a link to ", target, ")"),
                       ": is ", KindOf(info.st_mode),
                       "; an output is written only as a regular file, so give a file name"));
    }
    std::error_code error;
    const fs::path link = fs::read_symlink(target, error);
    if (error) return absl::InvalidArgumentError(absl::StrCat(target, ": ", error.message()));
    target = link.is_absolute() ? link.string() : (fs::path(target).parent_path() / link).string();
  }
  return absl::InvalidArgumentError(absl::StrCat(path, ": too many levels of symbolic links"));
}

absl::Status WriteAtomicallyThrough(const std::string& path,
                                    const std::function<absl::Status(const std::string&)>& write) {
  absl::StatusOr<std::string> target = OutputTarget(path);
  if (!target.ok()) return target.status();
  const std::string temporary = TemporaryNameFor(*target);
  absl::Status written = write(temporary);
  if (!written.ok()) {
    std::remove(temporary.c_str());
    return written;
  }
  if (std::rename(temporary.c_str(), target->c_str()) != 0) {
    const int error = errno;
    std::remove(temporary.c_str());
    return WriteError(*target, absl::StrCat("cannot rename ", temporary, " to it"), error);
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view bytes) {
  return WriteAtomicallyThrough(
      path, [&](const std::string& temporary) { return WriteNewFile(temporary, path, bytes); });
}

bool ProcessIsAlive(long pid) {
  if (pid <= 0) return false;
  if (kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
  // A zombie has ended; its parent just has not reaped it yet.
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(stat, line)) return true;
  const size_t close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

int RemoveStaleTemporaries(const std::string& dir, absl::Duration min_age) {
  int removed = 0;
  std::error_code error;
  const auto now = fs::file_time_type::clock::now();
  std::vector<fs::path> stale;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    std::error_code entry_error;
    const bool directory = entry.is_directory(entry_error);
    const long pid = TemporaryPid(entry.path().filename().string(), directory);
    if (pid == 0 || ProcessIsAlive(pid)) continue;
    const auto modified = entry.last_write_time(entry_error);
    if (entry_error) continue;
    const double age_s = std::chrono::duration<double>(now - modified).count();
    if (age_s < absl::ToDoubleSeconds(min_age)) continue;
    stale.push_back(entry.path());
  }
  for (const fs::path& path : stale) {
    std::error_code remove_error;
    if (fs::remove_all(path, remove_error) > 0 && !remove_error) ++removed;
  }
  return removed;
}

absl::Status CheckRegularFile(const std::string& path, absl::string_view what) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status)) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open ", what, " (no such file)"));
  }
  if (std::filesystem::is_directory(status)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, expected a ", what));
  }
  if (!std::filesystem::is_regular_file(status)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": is not a regular file (a FIFO, socket or device), expected a ", what));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadRegularFile(const std::string& path, absl::string_view what) {
  if (absl::Status regular = CheckRegularFile(path, what); !regular.ok()) return regular;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot open ", what, ": ", std::strerror(errno)));
  }
  std::string bytes;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    bytes.append(buffer, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return bytes;
}

}  // namespace wsol
