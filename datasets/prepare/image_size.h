// image_size.h
//
// ReadImageSize returns an image's width and height from its file header (PNG, JPEG, GIF,
// BMP), without decoding the pixels: preparers need the sizes of whole datasets
// (1.2 million ILSVRC images) for image_sizes.txt. Other formats fall back to a full
// decode with OpenCV.
//
//   absl::StatusOr<wsol::datasets::ImageSize> size =
//       wsol::datasets::ReadImageSize("CUB_200_2011/images/001.Black.../x.jpg");
#ifndef DATASETS_PREPARE_IMAGE_SIZE_H_
#define DATASETS_PREPARE_IMAGE_SIZE_H_

#include <string>

#include "absl/status/statusor.h"

namespace wsol::datasets {

struct ImageSize {
  int width = 0;
  int height = 0;
};

// ReadImageSize reads the size of the image at `path`. NotFound when the file is missing,
// DataLoss when its header is truncated or not an image.
absl::StatusOr<ImageSize> ReadImageSize(const std::string& path);

}  // namespace wsol::datasets

#endif  // DATASETS_PREPARE_IMAGE_SIZE_H_
