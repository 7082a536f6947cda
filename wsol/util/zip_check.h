// zip_check.h
//
// LibTorch's .pt files (checkpoints, model weights) are zip archives whose members each
// carry a CRC-32 of their bytes, but LibTorch's reader does not check them: a file damaged
// inside a tensor's bytes loads without complaint and yields quietly wrong numbers.
// VerifyZipChecksums reads the archive's central directory and checks every member's
// CRC-32 (and that the directory itself is whole) before the file is trusted.
//
//   WSOL_RETURN_IF_ERROR(wsol::VerifyZipChecksums(run_dir + "/checkpoint.pt"));
//
// Errors are DataLoss naming the file and, for a bad checksum, the member. Members stored
// compressed (PyTorch never writes them) are checked for their bounds only.
#ifndef WSOL_UTIL_ZIP_CHECK_H_
#define WSOL_UTIL_ZIP_CHECK_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace wsol {

absl::Status VerifyZipChecksums(const std::string& path);

// The same check on the bytes of an archive; `name` prefixes the errors.
absl::Status VerifyZipChecksumsOf(absl::string_view bytes, absl::string_view name);

}  // namespace wsol

#endif  // WSOL_UTIL_ZIP_CHECK_H_
