#include "datasets/prepare/indexed_png.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "wsol/util/file_io.h"
#include "wsol/util/status_macros.h"
#include "zlib.h"

namespace wsol::datasets {
namespace {

constexpr unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

uint32_t Be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

void PutBe32(uint32_t v, std::string* out) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

void AppendChunk(const char type[4], const std::string& data, std::string* out) {
  PutBe32(static_cast<uint32_t>(data.size()), out);
  const size_t start = out->size();
  out->append(type, 4);
  out->append(data);
  const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(out->data() + start),
                          static_cast<uInt>(out->size() - start));
  PutBe32(static_cast<uint32_t>(crc), out);
}

int Paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

}  // namespace

absl::StatusOr<IndexedImage> ReadIndexedPng(const std::string& path) {
  WSOL_ASSIGN_OR_RETURN(const std::string bytes, ReadRegularFile(path, "PNG"));
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  auto corrupt = [&path](const std::string& what) {
    return absl::DataLossError(absl::StrCat(path, ": ", what));
  };
  if (bytes.size() < 8 || std::memcmp(data, kSignature, 8) != 0) return corrupt("not a PNG");

  IndexedImage image;
  int bit_depth = 0, color_type = -1, interlace = 0;
  std::string compressed;
  size_t pos = 8;
  bool ended = false;
  while (pos + 12 <= bytes.size() && !ended) {
    const uint32_t length = Be32(data + pos);
    const std::string type(bytes, pos + 4, 4);
    if (pos + 12 + length > bytes.size()) return corrupt("truncated " + type + " chunk");
    const unsigned char* body = data + pos + 8;
    if (type == "IHDR" && length >= 13) {
      image.width = static_cast<int>(Be32(body));
      image.height = static_cast<int>(Be32(body + 4));
      bit_depth = body[8];
      color_type = body[9];
      interlace = body[12];
    } else if (type == "PLTE") {
      for (uint32_t i = 0; i + 2 < length; i += 3) {
        image.palette.push_back({body[i], body[i + 1], body[i + 2]});
      }
    } else if (type == "IDAT") {
      compressed.append(reinterpret_cast<const char*>(body), length);
    } else if (type == "IEND") {
      ended = true;
    }
    pos += 12 + length;
  }
  if (color_type < 0) return corrupt("no IHDR chunk");
  if ((color_type != 3 && color_type != 0) || bit_depth != 8 || interlace != 0) {
    return absl::UnimplementedError(absl::StrCat(
        path,
        ": only non-interlaced 8-bit palette or grayscale PNGs are read as indices (colour "
        "type ",
        color_type, ", bit depth ", bit_depth, ", interlace ", interlace, ")"));
  }
  if (image.width <= 0 || image.height <= 0) return corrupt("zero size");
  const size_t stride = static_cast<size_t>(image.width) + 1;  // Filter byte + 1 byte/pixel.
  std::vector<unsigned char> raw(stride * image.height);
  uLongf raw_size = raw.size();
  if (uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(compressed.data()),
                 compressed.size()) != Z_OK ||
      raw_size != raw.size()) {
    return corrupt("bad or truncated image data");
  }
  image.indices.resize(static_cast<size_t>(image.width) * image.height);
  for (int y = 0; y < image.height; ++y) {
    const unsigned char* row = raw.data() + y * stride;
    uint8_t* out = image.indices.data() + static_cast<size_t>(y) * image.width;
    const uint8_t* up = y > 0 ? out - image.width : nullptr;
    for (int x = 0; x < image.width; ++x) {
      const int a = x > 0 ? out[x - 1] : 0;
      const int b = up ? up[x] : 0;
      const int c = (up && x > 0) ? up[x - 1] : 0;
      int predictor = 0;
      switch (row[0]) {
        case 0:
          predictor = 0;
          break;
        case 1:
          predictor = a;
          break;
        case 2:
          predictor = b;
          break;
        case 3:
          predictor = (a + b) / 2;
          break;
        case 4:
          predictor = Paeth(a, b, c);
          break;
        default:
          return corrupt(absl::StrCat("bad filter type ", row[0], " in row ", y));
      }
      out[x] = static_cast<uint8_t>(row[1 + x] + predictor);
    }
  }
  return image;
}

absl::Status WriteIndexedPng(const IndexedImage& image, const std::string& path) {
  if (image.palette.empty() || image.palette.size() > 256 || image.width <= 0 ||
      image.height <= 0 ||
      image.indices.size() != static_cast<size_t>(image.width) * image.height) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": bad indexed image"));
  }
  for (uint8_t index : image.indices) {
    if (index >= image.palette.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": index ", index, " outside the palette"));
    }
  }
  std::string out(reinterpret_cast<const char*>(kSignature), 8);
  std::string ihdr;
  PutBe32(image.width, &ihdr);
  PutBe32(image.height, &ihdr);
  ihdr += std::string{8, 3, 0, 0, 0};  // Bit depth 8, palette, deflate, filter 0, no interlace.
  AppendChunk("IHDR", ihdr, &out);
  std::string plte;
  for (const auto& rgb : image.palette) plte.append(rgb.begin(), rgb.end());
  AppendChunk("PLTE", plte, &out);
  std::string raw;
  raw.reserve((image.width + 1) * image.height);
  for (int y = 0; y < image.height; ++y) {
    raw.push_back(0);  // Filter type none.
    raw.append(image.indices.begin() + static_cast<size_t>(y) * image.width,
               image.indices.begin() + static_cast<size_t>(y + 1) * image.width);
  }
  uLongf size = compressBound(raw.size());
  std::string compressed(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(compressed.data()), &size,
                reinterpret_cast<const Bytef*>(raw.data()), raw.size(), 6) != Z_OK) {
    return absl::InternalError(absl::StrCat(path, ": deflate failed"));
  }
  compressed.resize(size);
  AppendChunk("IDAT", compressed, &out);
  AppendChunk("IEND", "", &out);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file || !file.write(out.data(), out.size())) {
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot write"));
  }
  return absl::OkStatus();
}

}  // namespace wsol::datasets
