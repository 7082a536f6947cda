#include "datasets/prepare/image_size.h"

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "opencv2/imgcodecs.hpp"
#include "wsol/util/file_io.h"

namespace wsol::datasets {
namespace {

uint32_t Be16(const unsigned char* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t Be32(const unsigned char* p) { return (Be16(p) << 16) | Be16(p + 2); }
uint32_t Le16(const unsigned char* p) { return (uint32_t{p[1]} << 8) | p[0]; }
uint32_t Le32(const unsigned char* p) { return (Le16(p + 2) << 16) | Le16(p); }

absl::Status Corrupt(const std::string& path, const std::string& what) {
  return absl::DataLossError(absl::StrCat(path, ": ", what));
}

// Walks JPEG markers up to the first start-of-frame segment, which holds the size.
absl::StatusOr<ImageSize> JpegSize(std::ifstream& in, const std::string& path) {
  in.seekg(2);
  unsigned char b[8];
  while (in.read(reinterpret_cast<char*>(b), 2)) {
    if (b[0] != 0xFF) return Corrupt(path, "bad JPEG marker");
    const unsigned char marker = b[1];
    if (marker == 0xFF) {  // Fill byte: the marker follows.
      in.seekg(-1, std::ios::cur);
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;
    if (!in.read(reinterpret_cast<char*>(b), 2)) break;
    const uint32_t length = Be16(b);
    if (length < 2) return Corrupt(path, "bad JPEG segment length");
    const bool sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (!in.read(reinterpret_cast<char*>(b), 5)) break;
      ImageSize size{static_cast<int>(Be16(b + 3)), static_cast<int>(Be16(b + 1))};
      if (size.width <= 0 || size.height <= 0) return Corrupt(path, "JPEG size is zero");
      return size;
    }
    in.seekg(length - 2, std::ios::cur);
  }
  return Corrupt(path, "JPEG ends before its frame header");
}

}  // namespace

absl::StatusOr<ImageSize> ReadImageSize(const std::string& path) {
  if (absl::Status regular = CheckRegularFile(path, "image"); !regular.ok()) {
    if (absl::IsNotFound(regular)) {
      return absl::NotFoundError(absl::StrCat(path, ": cannot open image"));
    }
    return regular;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open image"));
  unsigned char h[26] = {0};
  in.read(reinterpret_cast<char*>(h), sizeof(h));
  const std::streamsize got = in.gcount();
  if (got >= 24 && h[0] == 0x89 && h[1] == 'P' && h[2] == 'N' && h[3] == 'G') {
    return ImageSize{static_cast<int>(Be32(h + 16)), static_cast<int>(Be32(h + 20))};
  }
  if (got >= 4 && h[0] == 0xFF && h[1] == 0xD8) {
    in.clear();
    return JpegSize(in, path);
  }
  if (got >= 10 && h[0] == 'G' && h[1] == 'I' && h[2] == 'F') {
    return ImageSize{static_cast<int>(Le16(h + 6)), static_cast<int>(Le16(h + 8))};
  }
  if (got >= 26 && h[0] == 'B' && h[1] == 'M') {
    const int32_t height = static_cast<int32_t>(Le32(h + 22));
    return ImageSize{static_cast<int>(Le32(h + 18)), height < 0 ? -height : height};
  }
  in.close();
  const cv::Mat image = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (image.empty()) return Corrupt(path, "not a readable image");
  return ImageSize{image.cols, image.rows};
}

}  // namespace wsol::datasets
