#include "wsol/metrics/npy.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "wsol/util/file_io.h"

namespace wsol::metrics {
namespace {

// Headers are padded to 64 bytes and rarely longer than 128; 64 KB covers any.
constexpr size_t kMaxHeaderRead = 1 << 16;

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

bool LittleEndianHost() {
  const uint16_t one = 1;
  uint8_t first = 0;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

// The text after `key`'s colon in the header dict, up to the matching end of its value.
absl::StatusOr<std::string> DictValue(absl::string_view header, absl::string_view key,
                                      absl::string_view name) {
  const std::string quoted[2] = {absl::StrCat("'", key, "'"), absl::StrCat("\"", key, "\"")};
  size_t at = absl::string_view::npos;
  for (const std::string& q : quoted) {
    at = header.find(q);
    if (at != absl::string_view::npos) {
      at += q.size();
      break;
    }
  }
  if (at == absl::string_view::npos) {
    return absl::DataLossError(absl::StrCat(name, ": .npy header has no '", key, "': ", header));
  }
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(header.substr(at));
  if (!absl::ConsumePrefix(&rest, ":")) {
    return absl::DataLossError(absl::StrCat(name, ": malformed .npy header: ", header));
  }
  rest = absl::StripLeadingAsciiWhitespace(rest);
  size_t end = 0;
  if (!rest.empty() && rest[0] == '(') {
    end = rest.find(')');
    if (end == absl::string_view::npos) {
      return absl::DataLossError(absl::StrCat(name, ": malformed .npy shape: ", header));
    }
    ++end;
  } else if (!rest.empty() && (rest[0] == '\'' || rest[0] == '"')) {
    end = rest.find(rest[0], 1);
    if (end == absl::string_view::npos) {
      return absl::DataLossError(absl::StrCat(name, ": malformed .npy header: ", header));
    }
    ++end;
  } else {
    end = rest.find_first_of(",}");
    if (end == absl::string_view::npos) end = rest.size();
  }
  return std::string(absl::StripAsciiWhitespace(rest.substr(0, end)));
}

}  // namespace

// What a .npy header says: the matrix type, the item size, the extents, where data starts.
struct NpyHeader {
  int type = 0;
  size_t item = 0;
  int64_t rows = 0, cols = 0;
  size_t data_start = 0;
  std::string what;  // " (dtype <f4, shape (r, c))" for messages.
};

// Parses the header at the start of `bytes` (which may hold only the file's beginning).
absl::StatusOr<NpyHeader> ParseHeader(absl::string_view bytes, absl::string_view name) {
  if (!LittleEndianHost()) {
    return absl::UnimplementedError("reading .npy needs a little-endian host");
  }
  if (bytes.size() < kMagicSize + 4 || bytes.substr(0, kMagicSize) != kMagic) {
    return absl::DataLossError(absl::StrCat(name, ": not a .npy file (no \\x93NUMPY magic)"));
  }
  const int major = static_cast<uint8_t>(bytes[6]);
  size_t header_length = 0, header_start = 0;
  if (major == 1) {
    header_length = static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return absl::DataLossError(absl::StrCat(name, ": truncated .npy header"));
    for (int i = 0; i < 4; ++i) {
      header_length |= static_cast<size_t>(static_cast<uint8_t>(bytes[8 + i])) << (8 * i);
    }
    header_start = 12;
  } else {
    return absl::DataLossError(absl::StrCat(name, ": unsupported .npy format version ", major));
  }
  if (bytes.size() < header_start + header_length) {
    return absl::DataLossError(absl::StrCat(name, ": truncated .npy header"));
  }
  const absl::string_view header =
      absl::StripAsciiWhitespace(bytes.substr(header_start, header_length));

  absl::StatusOr<std::string> descr = DictValue(header, "descr", name);
  if (!descr.ok()) return descr.status();
  absl::StatusOr<std::string> fortran = DictValue(header, "fortran_order", name);
  if (!fortran.ok()) return fortran.status();
  absl::StatusOr<std::string> shape_text = DictValue(header, "shape", name);
  if (!shape_text.ok()) return shape_text.status();

  absl::string_view shape_view = *shape_text;
  if (!absl::ConsumePrefix(&shape_view, "(") || !absl::ConsumeSuffix(&shape_view, ")")) {
    return absl::DataLossError(absl::StrCat(name, ": malformed .npy shape ", *shape_text));
  }
  std::vector<int64_t> shape;
  for (absl::string_view part : absl::StrSplit(shape_view, ',', absl::SkipWhitespace())) {
    int64_t extent = 0;
    if (!absl::SimpleAtoi(part, &extent) || extent < 0) {
      return absl::DataLossError(absl::StrCat(name, ": malformed .npy shape ", *shape_text));
    }
    shape.push_back(extent);
  }
  std::string dtype = *descr;
  if (dtype.size() >= 2 && (dtype[0] == '\'' || dtype[0] == '"') && dtype.back() == dtype[0]) {
    dtype = dtype.substr(1, dtype.size() - 2);
  }
  const std::string what = absl::StrCat(" (dtype ", dtype, ", shape (", absl::StrJoin(shape, ", "),
                                        shape.size() == 1 ? ",))" : "))");
  int type = 0;
  size_t item = 0;
  if (dtype == "<f4") {
    type = CV_32FC1;
    item = 4;
  } else if (dtype == "<f8") {
    type = CV_64FC1;
    item = 8;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": expected a little-endian float32 or float64 array ('<f4' or '<f8')", what));
  }
  if (*fortran != "False") {
    return absl::InvalidArgumentError(absl::StrCat(name, ": expected C order, got fortran_order ",
                                                   *fortran, what,
                                                   "; save numpy.ascontiguousarray(map)"));
  }
  if (shape.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": expected a 2-D score map (height, width)", what));
  }
  if (shape[0] == 0 || shape[1] == 0 || shape[0] > (1 << 20) || shape[1] > (1 << 20)) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": unsupported extent", what));
  }
  NpyHeader parsed;
  parsed.type = type;
  parsed.item = item;
  parsed.rows = shape[0];
  parsed.cols = shape[1];
  parsed.data_start = header_start + header_length;
  parsed.what = what;
  return parsed;
}

absl::StatusOr<cv::Mat> ParseNpy(absl::string_view bytes, absl::string_view name) {
  absl::StatusOr<NpyHeader> header = ParseHeader(bytes, name);
  if (!header.ok()) return header.status();
  const size_t expected = static_cast<size_t>(header->rows * header->cols) * header->item;
  const size_t found = bytes.size() - header->data_start;
  if (found != expected) {
    return absl::DataLossError(absl::StrCat(name, ": expected ", expected, " data bytes",
                                            header->what, ", found ", found));
  }
  cv::Mat map(static_cast<int>(header->rows), static_cast<int>(header->cols), header->type);
  std::memcpy(map.data, bytes.data() + header->data_start, expected);
  return map;
}

absl::StatusOr<cv::Mat> ReadNpy(const std::string& path, int expected_rows, int expected_cols) {
  if (absl::Status regular = CheckRegularFile(path, ".npy score map"); !regular.ok()) {
    return regular;
  }
  // The header first: a map of the wrong shape (a 20000 x 20000 array is 3 GB) is refused
  // before its data is read.
  std::ifstream in(path, std::ios::binary);
  std::string head(kMaxHeaderRead, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  absl::StatusOr<NpyHeader> header = ParseHeader(head, path);
  if (!header.ok() && !absl::IsDataLoss(header.status())) return header.status();
  if (header.ok() && expected_rows >= 0 &&
      (header->rows != expected_rows || header->cols != expected_cols)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: score map of shape (%d, %d); expected (%d, %d), the evaluation size",
                        path, header->rows, header->cols, expected_rows, expected_cols));
  }
  // One read of the whole file (score maps are a few hundred KB).
  absl::StatusOr<std::string> bytes = ReadRegularFile(path, ".npy score map");
  if (!bytes.ok()) return bytes.status();
  return ParseNpy(*bytes, path);
}

absl::Status WriteNpy(const std::string& path, const cv::Mat& map) {
  if (!LittleEndianHost()) {
    return absl::UnimplementedError("writing .npy needs a little-endian host");
  }
  if (map.dims != 2 || map.empty() || (map.type() != CV_32FC1 && map.type() != CV_64FC1)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": WriteNpy takes a non-empty 2-D CV_32FC1 or CV_64FC1 matrix"));
  }
  std::string header =
      absl::StrCat("{'descr': '", map.type() == CV_32FC1 ? "<f4" : "<f8",
                   "', 'fortran_order': False, 'shape': (", map.rows, ", ", map.cols, "), }");
  // Pad with spaces so that magic, version, length and header end on a 64-byte boundary,
  // the last byte being a newline (numpy's own layout).
  const size_t unpadded = kMagicSize + 2 + 2 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  std::string bytes(kMagic, kMagicSize);
  bytes.push_back('\x01');
  bytes.push_back('\x00');
  bytes.push_back(static_cast<char>(header.size() & 0xff));
  bytes.push_back(static_cast<char>(header.size() >> 8));
  bytes += header;
  const size_t row_bytes = map.cols * map.elemSize();
  for (int r = 0; r < map.rows; ++r) {
    bytes.append(reinterpret_cast<const char*>(map.ptr(r)), row_bytes);
  }

  const std::filesystem::path target(path);
  std::error_code error;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot create the folder: ", error.message()));
  }
  return WriteFileAtomically(path, bytes);
}

}  // namespace wsol::metrics
