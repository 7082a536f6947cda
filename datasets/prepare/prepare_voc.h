// prepare_voc.h
//
// PASCAL VOC 2012 segmentation (Everingham et al.), 20 classes, several per image: the
// paper's multi-label mask dataset, scored with mPxAP.
//
// Layout (`source` = VOC2012, or the VOCdevkit folder holding it):
//   JPEGImages/<id>.jpg
//   SegmentationClass/<id>.png   palette PNG; index = class (0 background, 1..20 the
//                                classes, 255 the void boundary)
//   ImageSets/Segmentation/train.txt, val.txt   one <id> per line
// An image's labels are the classes present in its segmentation (ascending, 0-based:
// aeroplane = 0 ... tvmonitor = 19). For each label the preparer writes a binary mask
// <out>/masks/<split>/<id>_<class name>.png, and one ignore mask (the void pixels)
// <out>/masks/<split>/<id>_ignore.png. In localization.txt an image's mask lines follow
// its labels: the i-th mask is the mask of the i-th label in class_labels.txt, so mPxAP
// can score each class against its own mask.
// Splits: test is the official val list (the segmentation test set has no public
// labels); val is carved from train (PrepareOptions::val_per_class images per class, in
// train.txt order); train is the rest of train.txt (no localization written).
// A segmentation stored as RGB instead of palette indices is mapped back through VOC's
// colour map.
#ifndef DATASETS_PREPARE_PREPARE_VOC_H_
#define DATASETS_PREPARE_PREPARE_VOC_H_

#include <array>
#include <cstdint>

#include "absl/status/statusor.h"
#include "datasets/prepare/preparer.h"

namespace wsol::datasets {

absl::StatusOr<PrepareResult> PrepareVoc(const PrepareOptions& options);

// VocColor is the RGB colour of palette index `index` in VOC's colour map.
std::array<uint8_t, 3> VocColor(int index);

}  // namespace wsol::datasets

#endif  // DATASETS_PREPARE_PREPARE_VOC_H_
