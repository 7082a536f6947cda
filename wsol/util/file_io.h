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
#include "absl/strings/string_view.h"

namespace wsol {

absl::Status WriteFileAtomically(const std::string& path, absl::string_view bytes);

}  // namespace wsol

#endif  // WSOL_UTIL_FILE_IO_H_
