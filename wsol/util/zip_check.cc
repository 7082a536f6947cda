#include "wsol/util/zip_check.h"

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "wsol/util/file_io.h"
#include "zlib.h"

namespace wsol {
namespace {

// Little-endian reads at `at`, or nullopt past the end (the zip format's byte order).
class Bytes {
 public:
  explicit Bytes(absl::string_view bytes) : bytes_(bytes) {}
  size_t size() const { return bytes_.size(); }
  std::optional<uint64_t> Read(uint64_t at, int width) const {
    if (at > bytes_.size() || bytes_.size() - at < static_cast<uint64_t>(width)) return {};
    uint64_t value = 0;
    for (int i = width - 1; i >= 0; --i) {
      value = (value << 8) | static_cast<unsigned char>(bytes_[at + i]);
    }
    return value;
  }
  absl::string_view Slice(uint64_t at, uint64_t length) const { return bytes_.substr(at, length); }

 private:
  absl::string_view bytes_;
};

constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64EndLocator = 0x07064b50;
constexpr uint32_t kZip64End = 0x06064b50;
constexpr uint32_t kDirectoryEntry = 0x02014b50;
constexpr uint32_t kLocalHeader = 0x04034b50;

struct Directory {
  uint64_t entries = 0;
  uint64_t offset = 0;
};

absl::StatusOr<Directory> FindDirectory(const Bytes& b, absl::string_view name) {
  const auto damaged = [&](absl::string_view what) {
    return absl::DataLossError(
        absl::StrCat(name, ": not a whole zip archive (", what, "); the file is damaged"));
  };
  // The end record is the last 22 bytes plus a comment of up to 65535 bytes.
  if (b.size() < 22) return damaged("too short");
  std::optional<uint64_t> end;
  const uint64_t lowest = b.size() >= 22 + 65535 ? b.size() - 22 - 65535 : 0;
  for (uint64_t at = b.size() - 22 + 1; at-- > lowest;) {
    if (b.Read(at, 4) == kEndOfDirectory) {
      end = at;
      break;
    }
  }
  if (!end) return damaged("no end-of-directory record");
  Directory d;
  d.entries = *b.Read(*end + 10, 2);
  d.offset = *b.Read(*end + 16, 4);
  if (d.entries == 0xFFFF || d.offset == 0xFFFFFFFF) {
    if (*end < 20 || b.Read(*end - 20, 4) != kZip64EndLocator) {
      return damaged("no zip64 locator");
    }
    const std::optional<uint64_t> record = b.Read(*end - 20 + 8, 8);
    if (!record || b.Read(*record, 4) != kZip64End) return damaged("no zip64 end record");
    const std::optional<uint64_t> entries = b.Read(*record + 32, 8);
    const std::optional<uint64_t> offset = b.Read(*record + 48, 8);
    if (!entries || !offset) return damaged("short zip64 end record");
    d.entries = *entries;
    d.offset = *offset;
  }
  if (d.offset >= b.size()) return damaged("directory offset past the end");
  return d;
}

}  // namespace

absl::Status VerifyZipChecksumsOf(absl::string_view bytes, absl::string_view name) {
  const Bytes b(bytes);
  absl::StatusOr<Directory> directory = FindDirectory(b, name);
  if (!directory.ok()) return directory.status();
  uint64_t at = directory->offset;
  for (uint64_t i = 0; i < directory->entries; ++i) {
    const auto damaged = [&](absl::string_view what) {
      return absl::DataLossError(absl::StrCat(name, ": zip directory entry ", i + 1, " of ",
                                              directory->entries, " ", what,
                                              "; the file is damaged"));
    };
    if (b.Read(at, 4) != kDirectoryEntry) return damaged("is missing");
    const std::optional<uint64_t> method = b.Read(at + 10, 2), crc = b.Read(at + 16, 4),
                                  packed = b.Read(at + 20, 4), name_length = b.Read(at + 28, 2),
                                  extra_length = b.Read(at + 30, 2),
                                  comment_length = b.Read(at + 32, 2), local = b.Read(at + 42, 4);
    if (!local) return damaged("is cut short");
    const uint64_t name_at = at + 46;
    if (name_at + *name_length > b.size()) return damaged("has its name past the end");
    const std::string member(b.Slice(name_at, *name_length));
    uint64_t size = *packed, offset = *local;
    // Zip64: the 32-bit fields that overflowed are in extra field 0x0001, in this order:
    // uncompressed size, compressed size, local header offset.
    if (size == 0xFFFFFFFF || offset == 0xFFFFFFFF) {
      const std::optional<uint64_t> unpacked32 = b.Read(at + 24, 4);
      uint64_t extra = name_at + *name_length;
      const uint64_t extra_end = extra + *extra_length;
      bool found = false;
      while (extra + 4 <= extra_end) {
        const uint64_t id = *b.Read(extra, 2), length = *b.Read(extra + 2, 2);
        if (id == 1) {
          uint64_t field = extra + 4;
          if (unpacked32 == 0xFFFFFFFF) field += 8;
          if (size == 0xFFFFFFFF) {
            const std::optional<uint64_t> v = b.Read(field, 8);
            if (!v) return damaged("has a short zip64 field");
            size = *v;
            field += 8;
          }
          if (offset == 0xFFFFFFFF) {
            const std::optional<uint64_t> v = b.Read(field, 8);
            if (!v) return damaged("has a short zip64 field");
            offset = *v;
          }
          found = true;
          break;
        }
        extra += 4 + length;
      }
      if (!found) return damaged("lacks its zip64 sizes");
    }
    if (b.Read(offset, 4) != kLocalHeader) {
      return damaged(absl::StrCat("(", member, ") points at no local header"));
    }
    const std::optional<uint64_t> local_name = b.Read(offset + 26, 2),
                                  local_extra = b.Read(offset + 28, 2);
    const uint64_t data = offset + 30 + *local_name + *local_extra;
    if (data > b.size() || b.size() - data < size) {
      return damaged(absl::StrCat("(", member, ") runs past the end"));
    }
    if (*method == 0) {
      uLong computed = crc32(0L, Z_NULL, 0);
      absl::string_view content = b.Slice(data, size);
      while (!content.empty()) {
        const size_t chunk = std::min<size_t>(content.size(), 1u << 30);
        computed = crc32(computed, reinterpret_cast<const Bytef*>(content.data()),
                         static_cast<uInt>(chunk));
        content.remove_prefix(chunk);
      }
      if (computed != *crc) {
        return absl::DataLossError(absl::StrFormat(
            "%s: member %s fails its CRC-32 check (stored %08x, computed %08x); the file is "
            "damaged",
            name, member, *crc, static_cast<uint64_t>(computed)));
      }
    }
    at = name_at + *name_length + *extra_length + *comment_length;
  }
  return absl::OkStatus();
}

absl::Status VerifyZipChecksums(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadRegularFile(path, "model or checkpoint file");
  if (!bytes.ok()) return bytes.status();
  return VerifyZipChecksumsOf(*bytes, path);
}

}  // namespace wsol
