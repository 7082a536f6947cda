// splits.h
//
// The data of one run as the trainer takes it: where the images and masks are, the
// training split, and the evaluation splits with their localization joined (boxes and
// mask paths on the same records, for data that has both). A data source (datasets/'s
// LoadSplits, or anything a reuser writes) fills it from a spec's `dataset { ... }`; the
// trainer reads nothing else of the dataset spec's files.
#ifndef WSOL_DATA_SPLITS_H_
#define WSOL_DATA_SPLITS_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "wsol/metadata/metadata.h"
#include "wsol/proto/dataset.pb.h"

namespace wsol::data {

// An evaluation split: each record has its boxes (has_boxes) and, when has_masks, its
// mask paths and ignore path, relative to Splits::mask_root.
struct EvalSplit {
  metadata::SplitMetadata images;
  bool has_boxes = false;
  bool has_masks = false;
};

struct Splits {
  std::string image_root;         // Image ids are relative to this folder.
  std::string mask_root;          // Mask paths are relative to this folder.
  metadata::SplitMetadata train;  // Labels in [0, num_classes), every class present.
  EvalSplit val;                  // Empty when not asked for.
  EvalSplit test;
};

struct LoadSplitsOptions {
  // Where generated data (the embedded FMNIST-Loc) is built and cached.
  std::string cache_dir = "wsol_cache";
  // Read the validation split too (model selection on val).
  bool with_val = true;
};

// A data source: the splits of `dataset`, or an error naming the file, line or field.
using SplitsLoader = std::function<absl::StatusOr<Splits>(const proto::Dataset& dataset,
                                                          const LoadSplitsOptions& options)>;

}  // namespace wsol::data

#endif  // WSOL_DATA_SPLITS_H_
