#include "datasets/dataset_paths.h"

#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "datasets/fmnist_loc/fmnist_loc.h"
#include "wsol/util/status_macros.h"

namespace wsol::datasets {
namespace {

// Defaults documented in wsol/proto/dataset.proto (FMNIST-Loc writes the same layout).
constexpr char kMetadataFolder[] = "metadata";
constexpr char kMaskMetadataFolder[] = "metadata_masks";

std::string Join(const std::string& a, const std::string& b) {
  return (std::filesystem::path(a) / b).string();
}

}  // namespace

absl::StatusOr<DatasetPaths> ResolveDatasetPaths(const proto::Dataset& dataset,
                                                 const std::string& cache_root) {
  DatasetPaths paths;
  paths.image_root = dataset.root();
  if (paths.image_root.empty()) {
    if (dataset.name() != "FMNIST_LOC") {
      return absl::InvalidArgumentError(absl::StrCat(
          "dataset.root is empty for dataset ", dataset.name(),
          ": prepare it with `bazel run //datasets:prepare -- --dataset=", dataset.name(),
          " --source=DIR --out=DIR` and paste the dataset block it prints"));
    }
    WSOL_ASSIGN_OR_RETURN(paths.image_root, EnsureFmnistLoc(dataset.fmnist_loc(), cache_root));
  }
  paths.metadata_root = dataset.metadata_root().empty() ? Join(paths.image_root, kMetadataFolder)
                                                        : dataset.metadata_root();
  paths.mask_root = dataset.mask_root().empty() ? paths.image_root : dataset.mask_root();
  switch (dataset.annotation()) {
    case proto::Dataset::BOXES:
      break;
    case proto::Dataset::MASKS:
      paths.mask_metadata_root = paths.metadata_root;
      break;
    case proto::Dataset::BOXES_AND_MASKS:
      paths.mask_metadata_root = dataset.mask_metadata_root().empty()
                                     ? Join(paths.image_root, kMaskMetadataFolder)
                                     : dataset.mask_metadata_root();
      break;
  }
  return paths;
}

}  // namespace wsol::datasets
