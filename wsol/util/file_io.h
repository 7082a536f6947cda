// file_io.h
//
// WriteFileAtomically writes `bytes` to `path` through a temporary file in the same folder
// and a rename, so a reader (or a run killed mid-write) never sees a half-written file.
// The folder must exist. Errors name the file and the system's reason.
//
//   WSOL_RETURN_IF_ERROR(wsol::WriteFileAtomically(dir + "/results.json", json));
#ifndef WSOL_UTIL_FILE_IO_H_
#define WSOL_UTIL_FILE_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace wsol {

absl::Status WriteFileAtomically(const std::string& path, absl::string_view bytes);

// OK when `path` is a regular file (or a link to one); the errors of ReadRegularFile
// otherwise. For readers that only need a file's first bytes.
absl::Status CheckRegularFile(const std::string& path, absl::string_view what = "file");

// A temporary name beside `path` that no other writer uses, in this process or another
// ("<path>.tmp.<pid>.<n>"): two processes writing one file never share a temporary.
std::string TemporaryNameFor(const std::string& path);

// The bytes of `path`, which must be a regular file (or a link to one): NotFound when it
// does not exist, InvalidArgument naming it when it is a directory, a FIFO, a socket or a
// device (reading those would fail oddly or block), DataLoss on a read error. `what` says
// what the file is for in the messages ("spec file", ...).
absl::StatusOr<std::string> ReadRegularFile(const std::string& path,
                                            absl::string_view what = "file");

}  // namespace wsol

#endif  // WSOL_UTIL_FILE_IO_H_
