// splits.h
//
// LoadSplits is the data source of the standard builds: a spec's `dataset { ... }` in,
// ready splits out (wsol/data/splits.h). It resolves the folders (ResolveDatasetPaths:
// the documented defaults, the embedded FMNIST-Loc built into the cache on first use),
// reads the train, val and test metadata, checks that dataset.num_classes is the class
// count of the training split, and joins a separate mask metadata (FMNIST-Loc's
// metadata_masks/) onto the box records.
//
//   absl::StatusOr<wsol::data::Splits> splits =
//       wsol::datasets::LoadSplits(spec.dataset(), {.cache_dir = "wsol_cache"});
#ifndef DATASETS_SPLITS_H_
#define DATASETS_SPLITS_H_

#include "absl/status/statusor.h"
#include "wsol/data/splits.h"
#include "wsol/proto/dataset.pb.h"

namespace wsol::datasets {

absl::StatusOr<data::Splits> LoadSplits(const proto::Dataset& dataset,
                                        const data::LoadSplitsOptions& options);

}  // namespace wsol::datasets

#endif  // DATASETS_SPLITS_H_
