// file_lock.h
//
// A lock file that one process holds while it works on something another process might
// also start (a run folder that two table processes share through --cache_dir, locally
// or over a network file system). The file is created with O_EXCL, which is atomic on
// local and NFS file systems alike, and holds "<host> <pid> <process start time>" so that
// a lock left behind by a process that died on this host is recognised and taken over.
// A lock held from another host cannot be checked from here: it is reported, with the
// advice to delete the file if that process is gone.
//
//   absl::StatusOr<wsol::FileLock> lock = wsol::FileLock::Acquire(run_dir + "/run.lock");
//   if (!lock.ok()) return lock.status();  // Unavailable: "... held by pid 42 on host a"
//   ... the lock is released (the file removed) when `lock` goes.
#ifndef WSOL_UTIL_FILE_LOCK_H_
#define WSOL_UTIL_FILE_LOCK_H_

#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"

namespace wsol {

class FileLock {
 public:
  // Takes the lock at `path` (its folder must exist). Unavailable naming the holder when a
  // live process holds it; a stale lock (its process on this host has ended) is replaced.
  static absl::StatusOr<FileLock> Acquire(const std::string& path);

  // Who holds the lock at `path` ("pid 42 on host a since ..."), or nullopt when nobody
  // does (no file, or a stale one).
  static std::optional<std::string> Holder(const std::string& path);

  FileLock(FileLock&& other) noexcept : path_(std::exchange(other.path_, "")) {}
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace wsol

#endif  // WSOL_UTIL_FILE_LOCK_H_
