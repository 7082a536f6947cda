#include "wsol/data/image_loader.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "wsol/util/rng.h"

namespace wsol::data {
namespace {

// Random-stream tags, mixed into seeds so that streams never coincide.
constexpr uint64_t kOrderStream = 11;
constexpr uint64_t kAugmentStream = 12;

}  // namespace

absl::StatusOr<std::unique_ptr<ImageLoader>> ImageLoader::Create(metadata::SplitMetadata split,
                                                                 LoaderOptions options) {
  const TransformOptions& t = options.transform;
  auto bad = [](const std::string& what) { return absl::InvalidArgumentError(what); };
  if (options.batch_size <= 0) return bad(absl::StrCat("batch_size ", options.batch_size, " <= 0"));
  if (options.num_workers <= 0) {
    return bad(absl::StrCat("num_workers ", options.num_workers, " <= 0"));
  }
  if (options.prefetch_batches <= 0) {
    return bad(absl::StrCat("prefetch_batches ", options.prefetch_batches, " <= 0"));
  }
  if (options.num_shards <= 0 || options.shard_index < 0 ||
      options.shard_index >= options.num_shards) {
    return bad(absl::StrCat("shard ", options.shard_index, " of ", options.num_shards));
  }
  if (t.train && (t.crop_size <= 0 || t.crop_size > t.resize_size)) {
    return bad(
        absl::StrCat("crop_size ", t.crop_size, " not in [1, resize_size = ", t.resize_size, "]"));
  }
  if (!t.train && t.eval_size <= 0) return bad(absl::StrCat("eval_size ", t.eval_size, " <= 0"));
  for (const metadata::ImageRecord& r : split.images) {
    if (r.labels.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(split.folder, ": image ", r.image_id, " has no label"));
    }
  }
  return std::unique_ptr<ImageLoader>(new ImageLoader(std::move(split), std::move(options)));
}

ImageLoader::ImageLoader(metadata::SplitMetadata split, LoaderOptions options)
    : split_(std::move(split)), options_(std::move(options)) {
  const int64_t side =
      options_.transform.train ? options_.transform.resize_size : options_.transform.eval_size;
  cacheable_ = std::min<int64_t>(static_cast<int64_t>(split_.images.size()),
                                 std::max<int64_t>(options_.cache_bytes, 0) / (side * side * 3));
  cache_.resize(cacheable_);
}

absl::StatusOr<cv::Mat> ImageLoader::Resized(int64_t index, const std::string& path) const {
  if (index < cacheable_) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (!cache_[index].empty()) return cache_[index];
  }
  absl::StatusOr<cv::Mat> rgb = DecodeImage(path);
  if (!rgb.ok()) return rgb.status();
  cv::Mat resized = ResizeForTransform(*rgb, options_.transform);
  if (index < cacheable_) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    cache_[index] = resized;
  }
  return resized;
}

ImageLoader::~ImageLoader() { StopWorkers(); }

int64_t ImageLoader::num_images() const {
  const int64_t n = static_cast<int64_t>(split_.images.size());
  if (options_.num_shards == 1) return n;
  return (n + options_.num_shards - 1) / options_.num_shards;  // Padded.
}

int64_t ImageLoader::num_batches() const {
  const int64_t n = num_images();
  return options_.drop_last ? n / options_.batch_size
                            : (n + options_.batch_size - 1) / options_.batch_size;
}

void ImageLoader::StopWorkers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& w : workers_) w.join();
  workers_.clear();
}

void ImageLoader::StartEpoch(int epoch) {
  StopWorkers();
  epoch_ = epoch;
  const int64_t n = static_cast<int64_t>(split_.images.size());
  std::vector<int64_t> all(n);
  for (int64_t i = 0; i < n; ++i) all[i] = i;
  if (options_.shuffle) {
    Rng rng(MixSeed({options_.seed, kOrderStream, static_cast<uint64_t>(epoch)}));
    rng.Shuffle(all);
  }
  order_.clear();
  if (n > 0) {
    for (int64_t i = options_.shard_index; i < num_images() * options_.num_shards;
         i += options_.num_shards) {
      order_.push_back(all[i % n]);
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
    failed_ = false;
    next_to_build_ = 0;
    next_to_return_ = 0;
    ready_.clear();
  }
  for (int w = 0; w < options_.num_workers; ++w) workers_.emplace_back([this] { WorkerLoop(); });
}

void ImageLoader::WorkerLoop() {
  const int64_t batches = num_batches();
  while (true) {
    int64_t batch = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        return stop_ || failed_ || next_to_build_ >= batches ||
               next_to_build_ < next_to_return_ + options_.prefetch_batches;
      });
      if (stop_ || failed_ || next_to_build_ >= batches) return;
      batch = next_to_build_++;
    }
    std::vector<std::pair<int64_t, std::string>> skipped;
    absl::StatusOr<Batch> built = absl::InternalError("not built");
    try {
      built = BuildBatch(batch, &skipped);
    } catch (const std::exception& e) {  // LibTorch or OpenCV, e.g. out of memory.
      built = absl::InternalError(absl::StrCat("building batch ", batch, ": ", e.what()));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [index, message] : skipped) skipped_.emplace(index, std::move(message));
      ready_.emplace(batch, std::move(built));
    }
    cv_.notify_all();
  }
}

absl::StatusOr<Batch> ImageLoader::BuildBatch(
    int64_t batch, std::vector<std::pair<int64_t, std::string>>* skipped) const {
  const int64_t begin = batch * options_.batch_size;
  const int64_t end = std::min<int64_t>(begin + options_.batch_size, order_.size());
  const int side = OutputSide(options_.transform);
  const int64_t image_floats = 3LL * side * side;
  at::Tensor images = at::empty({end - begin, 3, side, side}, at::kFloat);
  float* data = images.data_ptr<float>();
  Batch out;
  int64_t kept = 0;
  for (int64_t k = begin; k < end; ++k) {
    const int64_t index = order_[k];
    const metadata::ImageRecord& r = split_.images[index];
    const std::string path = (std::filesystem::path(options_.image_root) / r.image_id).string();
    absl::StatusOr<cv::Mat> rgb = Resized(index, path);
    if (!rgb.ok()) {
      const std::string message =
          absl::StrCat(r.image_id, " (", path, "): ", rgb.status().message());
      if (!options_.skip_bad_images) {
        return absl::Status(rgb.status().code(), absl::StrCat("image ", message));
      }
      skipped->emplace_back(index, message);
      continue;
    }
    Rng rng(MixSeed({options_.seed, kAugmentStream, static_cast<uint64_t>(epoch_),
                     static_cast<uint64_t>(index)}));
    const Augmentation augmentation = DrawAugmentation(options_.transform, rng);
    CropAndNormalize(*rgb, options_.transform, augmentation, data + kept * image_floats);
    ++kept;
    out.all_labels.push_back(r.labels);
    out.image_ids.push_back(r.image_id);
    out.indices.push_back(index);
    out.widths.push_back(r.width);
    out.heights.push_back(r.height);
  }
  out.images = kept == end - begin ? images : images.narrow(0, 0, kept).clone();
  out.labels = at::empty({kept}, at::kLong);
  int64_t* labels = out.labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < kept; ++i) labels[i] = out.all_labels[i][0];
  return out;
}

absl::StatusOr<std::optional<Batch>> ImageLoader::Next() {
  if (epoch_ < 0) return absl::FailedPreconditionError("ImageLoader: call StartEpoch first");
  const int64_t batches = num_batches();
  while (true) {
    std::unique_lock<std::mutex> lock(mu_);
    if (failed_ || next_to_return_ >= batches) return std::optional<Batch>();
    cv_.wait(lock, [&] { return ready_.count(next_to_return_) > 0; });
    absl::StatusOr<Batch> batch = std::move(ready_.at(next_to_return_));
    ready_.erase(next_to_return_);
    ++next_to_return_;
    if (!batch.ok()) failed_ = true;
    lock.unlock();
    cv_.notify_all();
    if (!batch.ok()) return batch.status();
    if (batch->size() == 0) continue;  // Every image of this batch was skipped.
    return std::optional<Batch>(*std::move(batch));
  }
}

std::vector<std::string> ImageLoader::SkippedImages() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> messages;
  for (const auto& [_, message] : skipped_) messages.push_back(message);
  return messages;
}

}  // namespace wsol::data
