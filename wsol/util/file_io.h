// file_io.h
//
// The one way the project writes and reads its files.
//
// WriteFileAtomically writes `bytes` to `path` through a temporary file in the same folder
// and a rename, so a reader (or a run killed mid-write) never sees a half-written file.
// What is at `path` is never replaced by something else: a symbolic link is followed (the
// file it points to is replaced, the link stays); a directory, device, FIFO or socket is
// an InvalidArgument error and nothing is written. A failed write (a full disk is
// ResourceExhausted) removes its temporary and names the file and the system's reason.
// The folder must exist.
//
//   WSOL_RETURN_IF_ERROR(wsol::WriteFileAtomically(dir + "/results.json", json));
//
// WriteAtomicallyThrough does the same for writers that need a file name of their own
// (cv::imwrite, a LibTorch archive): `write` fills the temporary it is given.
//
// Temporaries are named "<path>.tmp.<pid>.<n>": RemoveStaleTemporaries deletes those of
// processes that no longer run (a run killed mid-write), and is called whenever a run
// folder or the data cache is opened.
#ifndef WSOL_UTIL_FILE_IO_H_
#define WSOL_UTIL_FILE_IO_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace wsol {

absl::Status WriteFileAtomically(const std::string& path, absl::string_view bytes);

absl::Status WriteAtomicallyThrough(const std::string& path,
                                    const std::function<absl::Status(const std::string&)>& write);

// The file a write to `path` replaces: `path` itself, or the file its symbolic links lead
// to. InvalidArgument when that exists and is not a regular file (a directory, device,
// FIFO or socket), or when the links loop.
absl::StatusOr<std::string> OutputTarget(const std::string& path);

// OK when `path` is a regular file (or a link to one); the errors of ReadRegularFile
// otherwise. For readers that only need a file's first bytes.
absl::Status CheckRegularFile(const std::string& path, absl::string_view what = "file");

// A temporary name beside `path` that no other writer uses, in this process or another
// ("<path>.tmp.<pid>.<n>"): two processes writing one file never share a temporary.
std::string TemporaryNameFor(const std::string& path);

// Deletes, in `dir` (not below it), the temporaries "<name>.tmp.<pid>[.<n>]" and the
// folders ".tmp-<name>-<pid>-..." whose process no longer runs on this machine and that
// were last modified at least `min_age` ago (a cache shared with other machines passes an
// age no write of theirs takes). Returns how many were removed.
int RemoveStaleTemporaries(const std::string& dir, absl::Duration min_age = absl::ZeroDuration());

// Whether a process with this id runs on this machine (a zombie counts as ended). The one
// liveness check of the temporaries' cleanup and of FileLock's stale holders.
bool ProcessIsAlive(long pid);

// The bytes of `path`, which must be a regular file (or a link to one): NotFound when it
// does not exist, InvalidArgument naming it when it is a directory, a FIFO, a socket or a
// device (reading those would fail oddly or block), DataLoss on a read error. `what` says
// what the file is for in the messages ("spec file", ...).
absl::StatusOr<std::string> ReadRegularFile(const std::string& path,
                                            absl::string_view what = "file");

}  // namespace wsol

#endif  // WSOL_UTIL_FILE_IO_H_
