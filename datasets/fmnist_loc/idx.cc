#include "datasets/fmnist_loc/idx.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "zlib.h"

namespace wsol::datasets {
namespace {

constexpr uint8_t kUnsignedByte = 0x08;

}  // namespace

absl::StatusOr<IdxArray> ReadIdx(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  }
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  auto read = [&file](void* buffer, size_t size) {
    size_t done = 0;
    while (done < size) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(size - done, 1u << 30));
      const int got = gzread(file, static_cast<char*>(buffer) + done, chunk);
      if (got <= 0) break;
      done += static_cast<size_t>(got);
    }
    return done;
  };
  IdxArray array;
  absl::Status status;
  uint8_t magic[4];
  if (read(magic, 4) != 4 || magic[0] != 0 || magic[1] != 0) {
    status = absl::DataLossError(absl::StrCat(path, ": not an IDX file"));
  } else if (magic[2] != kUnsignedByte) {
    status = absl::DataLossError(
        absl::StrCat(path, ": IDX data type 0x", absl::Hex(magic[2]), ", expected 0x08 (ubyte)"));
  } else {
    size_t total = 1;
    for (int d = 0; d < magic[3] && status.ok(); ++d) {
      uint8_t b[4];
      if (read(b, 4) != 4) {
        status = absl::DataLossError(absl::StrCat(path, ": truncated IDX header"));
        break;
      }
      const uint32_t size =
          (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
      array.dims.push_back(static_cast<int>(size));
      total *= size;
    }
    if (status.ok()) {
      array.data.resize(total);
      const size_t got = read(array.data.data(), total);
      if (got != total) {
        status = absl::DataLossError(
            absl::StrCat(path, ": IDX data has ", got, " bytes, the header says ", total));
      }
    }
  }
  gzclose(file);
  if (!status.ok()) return status;
  return array;
}

}  // namespace wsol::datasets
