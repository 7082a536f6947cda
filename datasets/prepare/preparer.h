// preparer.h
//
// What every dataset preparer shares: its options and result, and the steps they all take
// (reading annotation text files, reading image sizes, carving a validation split, writing
// binary masks and the metadata folders).
//
// A preparer reads a dataset in its official layout under `source` and writes
//   <out>/metadata/<split>/{image_ids,class_labels,image_sizes,localization}.txt
//   <out>/masks/...          binary masks (0 or 255) it derived, when the data has masks
//   <out>/class_names.txt    one class name per line, in label order
// Images are not copied: image ids are paths relative to PrepareResult::image_root.
//
//   wsol::datasets::PrepareOptions options{.source = "CUB_200_2011", .out = "data/CUB"};
//   absl::StatusOr<wsol::datasets::PrepareResult> result = wsol::datasets::PrepareCub(options);
//   std::cout << result->dataset_spec;   // the `dataset { ... }` block for an experiment
#ifndef DATASETS_PREPARE_PREPARER_H_
#define DATASETS_PREPARE_PREPARER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wsol/metadata/metadata.h"
#include "wsol/metrics/box.h"
#include "wsol/util/text_lines.h"

namespace wsol::datasets {

struct PrepareOptions {
  // The dataset's folder in its official layout (see each preparer's header).
  std::string source;
  // Output folder (created if missing).
  std::string out;
  // Optional: wsolevaluation's ready metadata for this dataset (the folder holding
  // train/, val/ and test/, e.g. wsolevaluation/metadata/CUB). Splits found there are
  // imported (checked against the images) instead of being derived from `source`.
  std::string wsol_metadata;
  // Datasets without an official fully annotated validation split (CUB without
  // wsolevaluation's CUBV2, Oxford-IIIT Pet, VOC) get one carved from their training
  // images: the first images in the official order until every class has this many.
  int val_per_class = 5;
  // Unreadable or inconsistent images are skipped and listed in PrepareResult::notes
  // instead of stopping the preparer.
  bool skip_bad_images = false;
  // Threads for reading image headers and writing masks; 0: one per hardware thread.
  int threads = 0;
  // Called now and then from the preparing thread with a stage name and counts.
  std::function<void(const std::string& stage, int64_t done, int64_t total)> progress;
};

struct PrepareResult {
  std::string dataset;     // The proto Dataset.name: "CUB", "OpenImages", ...
  std::string image_root;  // Image ids are relative to this folder.
  std::string mask_root;   // Mask paths are relative to this folder (empty: no masks).
  int num_classes = 0;
  std::map<std::string, int64_t> split_sizes;  // Images per written split.
  int64_t masks_written = 0;
  std::vector<std::string> notes;  // What a person should know: carved splits, skips, ...
  std::string dataset_spec;        // Text-format `dataset { ... }` block for a spec.
};

// ---- Steps shared by the preparers -------------------------------------------------

// SkipOrFail is the one rule for a bad image: `error` is returned, or, with
// options.skip_bad_images, noted in `notes` ("skipped <error>") and OK returned so the
// caller leaves the image out. With a null `notes` (on worker threads, which note their
// bad images afterwards with NoteSkipped) nothing is noted.
//   if (!ok) { WSOL_RETURN_IF_ERROR(SkipOrFail(options, error, &result.notes)); continue; }
absl::Status SkipOrFail(const PrepareOptions& options, const absl::Status& error,
                        std::vector<std::string>* notes);

// NoteSkipped adds "skipped <error>" to `notes` for every failed status of `bad`.
void NoteSkipped(const std::vector<absl::Status>& bad, std::vector<std::string>* notes);

// ReadTextFile returns the whole of `path`.
absl::StatusOr<std::string> ReadTextFile(const std::string& path);

// FillImageSizes reads the size of every image (image_root/image_id) from its header.
// Bad images are an error naming the id and path, or, with options.skip_bad_images,
// removed from `images` and listed in `notes`.
absl::Status FillImageSizes(const std::string& image_root, const PrepareOptions& options,
                            std::vector<metadata::ImageRecord>* images,
                            std::vector<std::string>* notes);

// CarveValidation moves images from the front of `train` (in order) into the returned
// list while any of their labels has fewer than `per_class` images there. InvalidArgument
// for a negative `per_class`, or when a class would be left with no training image
// (naming the class and how many it has).
absl::StatusOr<std::vector<metadata::ImageRecord>> CarveValidation(
    int per_class, std::vector<metadata::ImageRecord>* train);

// The integer box of float corners in a width x height image: coordinates truncated
// toward zero, then clamped to [0, width-1] x [0, height-1]. A corner may overhang the
// image by at most kBoxOverhang pixels (annotation tools' rounding); a NaN or infinite
// value, an inverted box (x1 < x0 or y1 < y0) or a box reaching further outside is
// InvalidArgument saying which, never a made-up box.
inline constexpr double kBoxOverhang = 2.0;
absl::StatusOr<metrics::Box> BoxInImage(double x0, double y0, double x1, double y1, int width,
                                        int height);

// WriteBinaryMask writes `on` (width * height, row-major, non-zero = on) as a grayscale
// PNG with values 0 and 255, creating its folder.
absl::Status WriteBinaryMask(const std::vector<uint8_t>& on, int width, int height,
                             const std::string& path);

// ImportWsolSplit reads wsolevaluation's metadata for `split` from
// options.wsol_metadata/<split>, checks that every image exists under `image_root`, fills
// image sizes the file leaves out (their OpenImages image_sizes.txt is empty) and rejects
// sizes that disagree with the image. Mask files, if any, must exist under `mask_root`.
absl::StatusOr<metadata::SplitMetadata> ImportWsolSplit(
    const std::string& split, const std::string& image_root, const std::string& mask_root,
    int num_classes, const PrepareOptions& options, std::vector<std::string>* notes);

// WritePrepared writes each split's metadata under <out>/metadata/<split>,
// <out>/class_names.txt, fills result->split_sizes and result->dataset_spec
// (`annotation` is the proto enum name: "BOXES" or "MASKS").
absl::Status WritePrepared(const std::map<std::string, metadata::SplitMetadata>& splits,
                           const std::vector<std::string>& class_names,
                           const std::string& annotation, bool multi_label,
                           const PrepareOptions& options, PrepareResult* result);

// Threads resolves options.threads.
int PrepareThreads(const PrepareOptions& options);

}  // namespace wsol::datasets

#endif  // DATASETS_PREPARE_PREPARER_H_
