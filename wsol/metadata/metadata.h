// metadata.h
//
// Reader and writer of wsolevaluation's metadata format, the one on-disk format every
// data set here is read through. A split folder holds:
//   image_ids.txt     one image id (a path relative to the image root) per line
//   class_labels.txt  "id,label" (several lines per id for multi-label data)
//   image_sizes.txt   "id,width,height"
//   localization.txt  boxes: "id,x0,y0,x1,y1" (several lines per id allowed), or
//                     masks: "id,mask_path,ignore_path" (several mask lines per id; the
//                     ignore path is given on the first line only, empty on later ones)
//
//   absl::StatusOr<wsol::metadata::SplitMetadata> split =
//       wsol::metadata::ReadSplitMetadata("data/CUB/metadata/test", {.num_classes = 200});
#ifndef WSOL_METADATA_METADATA_H_
#define WSOL_METADATA_METADATA_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wsol/metrics/box.h"

namespace wsol::metadata {

struct ImageRecord {
  std::string image_id;
  std::vector<int> labels;  // One entry for single-label data.
  int width = 0;            // Original image size, from image_sizes.txt.
  int height = 0;
  std::vector<metrics::Box> boxes;      // In original-image pixels.
  std::vector<std::string> mask_paths;  // Relative to the mask root.
  std::string ignore_path;              // Relative to the mask root; may be empty.
};

enum class LocalizationKind { kNone, kBoxes, kMasks };

struct SplitMetadata {
  std::string folder;
  LocalizationKind kind = LocalizationKind::kNone;
  std::vector<ImageRecord> images;  // In image_ids.txt order.
};

struct ReadOptions {
  // Labels must lie in [0, num_classes); 0 disables the check.
  int num_classes = 0;
  // Require localization.txt (evaluation splits); train splits may lack it.
  bool require_localization = true;
};

// ReadSplitMetadata parses the four files of `folder` and checks them against each other:
// every id in every file, positive sizes, boxes inside the image with x0 <= x1 and
// y0 <= y1, labels in range. Errors name the file and line ("class_labels.txt:3: ...").
absl::StatusOr<SplitMetadata> ReadSplitMetadata(const std::string& folder,
                                                const ReadOptions& options = {});

// WriteSplitMetadata writes `split` into `folder` (created if missing) in the format
// above; each file is written to a temporary name and renamed, so a reader never sees a
// half-written file.
absl::Status WriteSplitMetadata(const SplitMetadata& split, const std::string& folder);

}  // namespace wsol::metadata

#endif  // WSOL_METADATA_METADATA_H_
