// prepare_openimages.h
//
// OpenImages30k as wsolevaluation distributes it (Choe et al., CVPR 2020): 100 classes,
// instance masks with an ignore mask per image on val and test.
//
// Layout (`source` = the OpenImages folder their download scripts unpack):
//   <split>/<class id>/<image>.jpg                     split: train, val, test
//   <split>/<class id>/<image>_m<class id>_<hash>.png  one file per instance mask
//   <split>/<class id>/<image>_ignore.png              the image's ignore region
// Labels are the class folders in sorted order (wsolevaluation's metadata numbers its 100
// classes the same way: label 0 is 01226z, the first folder name). Masks stay where they
// are: mask paths are relative to `source`. Train images get no localization.
// With PrepareOptions::wsol_metadata (their metadata/OpenImages) the image lists come from
// there and are checked against the files; their image_sizes.txt is empty, so sizes are
// always read from the images.
#ifndef DATASETS_PREPARE_PREPARE_OPENIMAGES_H_
#define DATASETS_PREPARE_PREPARE_OPENIMAGES_H_

#include "absl/status/statusor.h"
#include "datasets/prepare/preparer.h"

namespace wsol::datasets {

absl::StatusOr<PrepareResult> PrepareOpenImages(const PrepareOptions& options);

}  // namespace wsol::datasets

#endif  // DATASETS_PREPARE_PREPARE_OPENIMAGES_H_
