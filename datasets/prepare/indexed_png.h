// indexed_png.h
//
// Palette ("indexed colour") PNG files, read as their raw palette indices. PASCAL VOC's
// SegmentationClass PNGs store the class index of each pixel as a palette index (255 is
// the void boundary); OpenCV decodes palette PNGs to colours and cannot write them, so
// this small codec on zlib does both. Only what those files use is supported:
// non-interlaced, bit depth 8, colour type 3 (palette) or 0 (grayscale, read as indices).
//
//   absl::StatusOr<wsol::datasets::IndexedImage> seg =
//       wsol::datasets::ReadIndexedPng("VOC2012/SegmentationClass/2007_000032.png");
//   uint8_t cls = seg->indices[y * seg->width + x];
#ifndef DATASETS_PREPARE_INDEXED_PNG_H_
#define DATASETS_PREPARE_INDEXED_PNG_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace wsol::datasets {

struct IndexedImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> indices;                 // Row-major, width * height.
  std::vector<std::array<uint8_t, 3>> palette;  // RGB; empty for grayscale files.
};

// ReadIndexedPng decodes `path`. Unimplemented for PNG variants outside the subset above
// (e.g. an RGB file), DataLoss for a corrupt file, NotFound for a missing one.
absl::StatusOr<IndexedImage> ReadIndexedPng(const std::string& path);

// WriteIndexedPng writes `image` as a colour-type-3 PNG (its palette must have 1 to 256
// entries and cover every index used).
absl::Status WriteIndexedPng(const IndexedImage& image, const std::string& path);

}  // namespace wsol::datasets

#endif  // DATASETS_PREPARE_INDEXED_PNG_H_
