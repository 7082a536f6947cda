// prepare_cub.h
//
// CUB-200-2011 (Wah et al., 2011), 200 bird classes, one box per image.
//
// Official layout (`source` = the CUB_200_2011 folder):
//   images.txt              "<id> <relative path>"        (ids are 1-based integers)
//   image_class_labels.txt  "<id> <class>"                 (classes 1..200)
//   train_test_split.txt    "<id> <1 train | 0 test>"
//   bounding_boxes.txt      "<id> <x> <y> <width> <height>" (floats, pixels)
//   classes.txt             "<class> <name>"
//   images/<relative path>
// Boxes become wsolevaluation's (x, y, x + width, y + height), truncated and clamped to
// the image (wsolevaluation's CUB metadata agrees: "1 60.0 27.0 325.0 304.0" is
// "...0046_18.jpg,60,27,385,331"). The official train/test split is kept; the original
// data has no validation split, so one is carved from the training images
// (PrepareOptions::val_per_class, in images.txt order; a note says so).
//
// With wsolevaluation's ready metadata (PrepareOptions::wsol_metadata = .../metadata/CUB),
// train/val/test come from there instead (val is their CUBV2, whose images they unpack
// into the same class folders); `source` is then the image folder (or its parent holding
// images/), and the annotation text files above are not needed.
#ifndef DATASETS_PREPARE_PREPARE_CUB_H_
#define DATASETS_PREPARE_PREPARE_CUB_H_

#include "absl/status/statusor.h"
#include "datasets/prepare/preparer.h"

namespace wsol::datasets {

absl::StatusOr<PrepareResult> PrepareCub(const PrepareOptions& options);

}  // namespace wsol::datasets

#endif  // DATASETS_PREPARE_PREPARE_CUB_H_
