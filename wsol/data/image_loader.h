// image_loader.h
//
// ImageLoader turns a split's metadata into batches of tensors for the trainer:
// decode with OpenCV, transform (image_transforms.h), collate into
//   images  float32 [B, 3, S, S] (normalized), labels int64 [B] (first label),
// with the full label lists, image ids, indices and original sizes beside them.
// A fixed number of worker threads build batches ahead of the consumer (up to
// `prefetch_batches`). The order of images comes from (seed, epoch) and the random
// crop/flip of an image from (seed, epoch, image index), so batches are identical for
// any worker count and any thread scheduling.
// With num_shards > 1 each shard (rank) sees every num_shards-th image of the epoch's
// order, padded by wrapping around so that all shards have the same number of batches
// (PyTorch's DistributedSampler does the same).
//
//   absl::StatusOr<std::unique_ptr<wsol::data::ImageLoader>> loader =
//       wsol::data::ImageLoader::Create(split, options);
//   for (int epoch = 0; epoch < epochs; ++epoch) {
//     (*loader)->StartEpoch(epoch);
//     while (true) {
//       WSOL_ASSIGN_OR_RETURN(std::optional<wsol::data::Batch> batch, (*loader)->Next());
//       if (!batch) break;
//       Train(batch->images, batch->labels);
//     }
//   }
//
// Bad images: a missing or undecodable image makes Next() fail with the image id and
// path. With `skip_bad_images` it is left out of its batch (which is then smaller) and
// recorded in SkippedImages(), never silently.
#ifndef WSOL_DATA_IMAGE_LOADER_H_
#define WSOL_DATA_IMAGE_LOADER_H_

#include <ATen/core/Tensor.h>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wsol/data/image_transforms.h"
#include "wsol/metadata/metadata.h"

namespace wsol::data {

struct LoaderOptions {
  std::string image_root;  // Image ids are paths relative to this folder.
  TransformOptions transform;
  int batch_size = 32;
  bool shuffle = false;    // A new order every epoch (training).
  bool drop_last = false;  // Drop a last batch smaller than batch_size.
  int num_workers = 2;     // Threads building batches; at least 1.
  int prefetch_batches = 4;
  uint64_t seed = 0;
  bool skip_bad_images = false;
  // Keep each image decoded and resized after its first use (resize_size^2 x 3 bytes
  // for training, eval_size^2 x 3 for evaluation), for as many images, in metadata order,
  // as fit in this many bytes; later epochs skip the decode and the resize. The batches
  // are the same either way. 0: decode every time.
  int64_t cache_bytes = int64_t{256} << 20;
  int shard_index = 0;  // Data-parallel rank and world size.
  int num_shards = 1;
};

struct Batch {
  at::Tensor images;  // float32 [B, 3, S, S].
  at::Tensor labels;  // int64 [B]: each image's first label.
  std::vector<std::vector<int>> all_labels;
  std::vector<std::string> image_ids;
  std::vector<int64_t> indices;  // Positions in SplitMetadata::images.
  std::vector<int> widths;       // Original image sizes (from the metadata).
  std::vector<int> heights;
  int64_t size() const { return static_cast<int64_t>(image_ids.size()); }
};

class ImageLoader {
 public:
  // Create checks the options (sizes, batch size, shards) and that the split is usable
  // (every image has a label).
  static absl::StatusOr<std::unique_ptr<ImageLoader>> Create(metadata::SplitMetadata split,
                                                             LoaderOptions options);
  ~ImageLoader();
  ImageLoader(const ImageLoader&) = delete;
  ImageLoader& operator=(const ImageLoader&) = delete;

  const metadata::SplitMetadata& split() const { return split_; }
  const LoaderOptions& options() const { return options_; }
  // Images and batches of one epoch of this shard.
  int64_t num_images() const;
  int64_t num_batches() const;

  // StartEpoch begins `epoch` (abandoning any unfinished one) and starts the workers.
  void StartEpoch(int epoch);
  // Next returns the next batch of the epoch in order, nullopt at its end, or the first
  // error (after which the epoch yields nothing more).
  absl::StatusOr<std::optional<Batch>> Next();

  // SkippedImages lists "<id> (<path>): <reason>" for each bad image skipped so far
  // (each image once, in metadata order).
  std::vector<std::string> SkippedImages() const;

 private:
  ImageLoader(metadata::SplitMetadata split, LoaderOptions options);
  void StopWorkers();
  void WorkerLoop();
  // BuildBatch appends (index, message) for each image it skips.
  absl::StatusOr<Batch> BuildBatch(int64_t batch,
                                   std::vector<std::pair<int64_t, std::string>>* skipped) const;

  const metadata::SplitMetadata split_;
  const LoaderOptions options_;
  int epoch_ = -1;
  std::vector<int64_t> order_;  // This shard's image indices for the epoch.

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  int64_t next_to_build_ = 0;
  int64_t next_to_return_ = 0;
  bool failed_ = false;
  std::map<int64_t, absl::StatusOr<Batch>> ready_;
  std::map<int64_t, std::string> skipped_;  // By image index.
  std::vector<std::thread> workers_;

  // Decoded and resized images by index, for the first cacheable_ indices (cache_bytes).
  absl::StatusOr<cv::Mat> Resized(int64_t index, const std::string& path) const;
  int64_t cacheable_ = 0;
  mutable std::mutex cache_mu_;
  mutable std::vector<cv::Mat> cache_;
};

}  // namespace wsol::data

#endif  // WSOL_DATA_IMAGE_LOADER_H_
