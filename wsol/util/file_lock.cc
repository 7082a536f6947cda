#include "wsol/util/file_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "wsol/util/file_io.h"

namespace wsol {
namespace {

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown-host";
  return name;
}

// The start time of process `pid` in clock ticks since boot (field 22 of
// /proc/<pid>/stat), or "" when it is not running. It tells a live process from a new one
// that reuses the pid of a dead holder.
std::string StartTime(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat;
  if (!std::getline(in, stat)) return "";
  // The command name (field 2) is in parentheses and may hold spaces: count after it.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::vector<std::string> fields = absl::StrSplit(stat.substr(close + 1), ' ', absl::SkipEmpty());
  // fields[0] is field 3 (state), so field 22 is fields[19].
  return fields.size() > 19 ? fields[19] : "";
}

struct Content {
  std::string host;
  pid_t pid = 0;
  std::string start_time;
  std::string since;
};

std::optional<Content> ReadContent(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!in || !std::getline(in, text)) return std::nullopt;
  std::vector<std::string> f = absl::StrSplit(text, ' ', absl::SkipEmpty());
  Content c;
  int pid = 0;
  if (f.size() < 3 || !absl::SimpleAtoi(f[1], &pid)) return std::nullopt;
  c.host = f[0];
  c.pid = pid;
  c.start_time = f[2];
  if (f.size() > 3) c.since = f[3];
  return c;
}

// A holder on this host whose process has ended (or whose pid now names another process).
bool Stale(const Content& c) {
  if (c.host != HostName()) return false;
  if (!ProcessIsAlive(c.pid)) return true;
  const std::string start = StartTime(c.pid);
  return !start.empty() && start != c.start_time;
}

std::string Describe(const Content& c) {
  return absl::StrCat("pid ", c.pid, " on host ", c.host,
                      c.since.empty() ? "" : absl::StrCat(" since ", c.since));
}

}  // namespace

absl::StatusOr<FileLock> FileLock::Acquire(const std::string& path) {
  const std::string content =
      absl::StrCat(HostName(), " ", getpid(), " ", StartTime(getpid()), " ",
                   absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()), "\n");
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      const bool written =
          write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
      close(fd);
      if (!written) {
        std::remove(path.c_str());
        return absl::InternalError(absl::StrCat(path, ": cannot write the lock file"));
      }
      return FileLock(path);
    }
    if (errno != EEXIST) {
      return absl::PermissionDeniedError(
          absl::StrCat(path, ": cannot create the lock file: ", std::strerror(errno)));
    }
    std::optional<Content> holder = ReadContent(path);
    if (!holder) {
      // Being written this instant, or damaged: look again shortly, then give up.
      absl::SleepFor(absl::Milliseconds(50));
      holder = ReadContent(path);
      if (!holder) {
        return absl::UnavailableError(absl::StrCat(
            path, " exists but names no process; delete it if no other process is using it"));
      }
    }
    if (!Stale(*holder)) {
      return absl::UnavailableError(absl::StrCat(
          path, " is held by ", Describe(*holder),
          holder->host == HostName() ? ""
                                     : " (another host: delete the file if that process is gone)"));
    }
    // Stale: move it aside under a name of our own (a rename is atomic, so only one
    // process takes a given file), check that what moved is the stale lock and not a
    // fresh one another process created meanwhile, and try again.
    const std::string aside = absl::StrCat(path, ".stale.", getpid());
    if (std::rename(path.c_str(), aside.c_str()) == 0) {
      const std::optional<Content> moved = ReadContent(aside);
      if (moved && moved->pid == holder->pid && moved->start_time == holder->start_time &&
          moved->host == holder->host) {
        std::remove(aside.c_str());
      } else {
        // Someone's fresh lock: put it back (unless yet another appeared) and report it.
        if (link(aside.c_str(), path.c_str()) == 0) std::remove(aside.c_str());
        if (moved) {
          return absl::UnavailableError(absl::StrCat(path, " is held by ", Describe(*moved)));
        }
      }
    }
  }
  return absl::UnavailableError(absl::StrCat(path, ": could not take the lock"));
}

std::optional<std::string> FileLock::Holder(const std::string& path) {
  std::optional<Content> holder = ReadContent(path);
  if (!holder || Stale(*holder)) return std::nullopt;
  return Describe(*holder);
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) std::remove(path_.c_str());
    path_ = std::exchange(other.path_, "");
  }
  return *this;
}

FileLock::~FileLock() {
  if (!path_.empty()) std::remove(path_.c_str());
}

}  // namespace wsol
