#include "datasets/splits.h"

#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "datasets/dataset_paths.h"
#include "wsol/util/status_macros.h"

namespace wsol::datasets {
namespace {

namespace fs = std::filesystem;

// Copies the mask paths of `masks` onto the records of `split` with the same ids.
absl::Status JoinMasks(const metadata::SplitMetadata& masks, metadata::SplitMetadata* split) {
  std::map<std::string, const metadata::ImageRecord*> by_id;
  for (const metadata::ImageRecord& r : masks.images) by_id[r.image_id] = &r;
  for (metadata::ImageRecord& record : split->images) {
    auto it = by_id.find(record.image_id);
    if (it == by_id.end()) {
      return absl::InvalidArgumentError(absl::StrCat(masks.folder, ": image ", record.image_id,
                                                     " of ", split->folder, " has no mask entry"));
    }
    record.mask_paths = it->second->mask_paths;
    record.ignore_path = it->second->ignore_path;
  }
  return absl::OkStatus();
}

// One evaluation split with every localization the data has.
absl::StatusOr<data::EvalSplit> ReadEvalSplit(const proto::Dataset& dataset,
                                              const DatasetPaths& paths,
                                              const std::string& split_name) {
  data::EvalSplit out;
  const metadata::ReadOptions read{.num_classes = dataset.num_classes(),
                                   .require_localization = true};
  WSOL_ASSIGN_OR_RETURN(
      out.images,
      metadata::ReadSplitMetadata((fs::path(paths.metadata_root) / split_name).string(), read));
  out.has_boxes = out.images.kind == metadata::LocalizationKind::kBoxes;
  out.has_masks = out.images.kind == metadata::LocalizationKind::kMasks;
  if (!paths.mask_metadata_root.empty() && paths.mask_metadata_root != paths.metadata_root) {
    const fs::path mask_folder = fs::path(paths.mask_metadata_root) / split_name;
    if (fs::exists(mask_folder)) {
      WSOL_ASSIGN_OR_RETURN(metadata::SplitMetadata masks,
                            metadata::ReadSplitMetadata(mask_folder.string(), read));
      WSOL_RETURN_IF_ERROR(JoinMasks(masks, &out.images));
      out.has_masks = true;
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<data::Splits> LoadSplits(const proto::Dataset& dataset,
                                        const data::LoadSplitsOptions& options) {
  WSOL_ASSIGN_OR_RETURN(DatasetPaths paths, ResolveDatasetPaths(dataset, options.cache_dir));
  data::Splits splits;
  splits.image_root = paths.image_root;
  splits.mask_root = paths.mask_root;
  WSOL_ASSIGN_OR_RETURN(splits.train,
                        metadata::ReadSplitMetadata(
                            (fs::path(paths.metadata_root) / dataset.train_split()).string(),
                            {.num_classes = dataset.num_classes(), .require_localization = false}));
  std::set<int> seen;
  for (const metadata::ImageRecord& r : splits.train.images) {
    seen.insert(r.labels.begin(), r.labels.end());
  }
  if (static_cast<int>(seen.size()) != dataset.num_classes()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("dataset.num_classes = %d but the training split %s has %d classes",
                        dataset.num_classes(), splits.train.folder, seen.size()));
  }
  if (options.with_val) {
    WSOL_ASSIGN_OR_RETURN(splits.val, ReadEvalSplit(dataset, paths, dataset.val_split()));
  }
  WSOL_ASSIGN_OR_RETURN(splits.test, ReadEvalSplit(dataset, paths, dataset.test_split()));
  return splits;
}

}  // namespace wsol::datasets
