// prepare_oxford_pet.h
//
// Oxford-IIIT Pet (Parkhi et al., CVPR 2012), 37 cat and dog breeds, with a trimap per
// image; the paper's "Oxford" mask dataset.
//
// Layout (`source` = the folder holding images/ and annotations/):
//   images/<Breed>_<n>.jpg
//   annotations/trainval.txt, annotations/test.txt
//       "<Breed>_<n> <class 1..37> <species 1 cat | 2 dog> <breed id>"
//   annotations/list.txt           the same columns for all images ('#' lines are comments)
//   annotations/trimaps/<Breed>_<n>.png   1 foreground, 2 background, 3 boundary
// Output masks: <out>/masks/<split>/<Breed>_<n>.png (trimap 1) and ..._ignore.png
// (trimap 3, the unlabelled boundary, excluded from PxAP), written for val and test.
// Splits: test is the official test list; val is carved from trainval
// (PrepareOptions::val_per_class per class, in trainval.txt order); train is the rest of
// trainval (no localization). Class names are the image names without "_<n>".
#ifndef DATASETS_PREPARE_PREPARE_OXFORD_PET_H_
#define DATASETS_PREPARE_PREPARE_OXFORD_PET_H_

#include "absl/status/statusor.h"
#include "datasets/prepare/preparer.h"

namespace wsol::datasets {

absl::StatusOr<PrepareResult> PrepareOxfordPet(const PrepareOptions& options);

}  // namespace wsol::datasets

#endif  // DATASETS_PREPARE_PREPARE_OXFORD_PET_H_
