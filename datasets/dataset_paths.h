// dataset_paths.h
//
// ResolveDatasetPaths turns a spec's `dataset { ... }` into the folders to read, applying
// the documented defaults of wsol/proto/dataset.proto and, for the embedded FMNIST_LOC
// with no root set, building the data set into the cache first (EnsureFmnistLoc).
//
//   absl::StatusOr<wsol::datasets::DatasetPaths> paths =
//       wsol::datasets::ResolveDatasetPaths(spec.dataset(), "wsol_cache");
//   ReadSplitMetadata(paths->metadata_root + "/val", {.num_classes = 10});
#ifndef DATASETS_DATASET_PATHS_H_
#define DATASETS_DATASET_PATHS_H_

#include <string>

#include "absl/status/statusor.h"
#include "wsol/proto/dataset.pb.h"

namespace wsol::datasets {

struct DatasetPaths {
  std::string image_root;     // Image ids are relative to this folder.
  std::string metadata_root;  // <split>/ folders: boxes, or masks for mask-only data.
  // <split>/ folders whose localization.txt lists masks: metadata_root for MASKS data,
  // the separate mask metadata for BOXES_AND_MASKS, empty for BOXES.
  std::string mask_metadata_root;
  std::string mask_root;  // Mask paths are relative to this folder.
};

// ResolveDatasetPaths applies the defaults: metadata_root = <root>/metadata,
// mask_root = <root>, mask_metadata_root = <root>/metadata_masks. An empty root is
// InvalidArgument except for FMNIST_LOC, which is generated under `cache_root`.
absl::StatusOr<DatasetPaths> ResolveDatasetPaths(const proto::Dataset& dataset,
                                                 const std::string& cache_root);

}  // namespace wsol::datasets

#endif  // DATASETS_DATASET_PATHS_H_
