#include "wsol/data/image_loader.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "wsol/metadata/metadata.h"
#include "wsol/util/status_matchers.h"
#include "wsol/util/test_files.h"

namespace wsol::data {
namespace {

using ::testing::ElementsAre;
using testing::FreshTestDir;
using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

constexpr int kImages = 10;

// kImages PNGs of different sizes; image i is a solid colour with red = 20 * i, and has
// label i % 3 (image 4 is multi-label: {1, 2}).
metadata::SplitMetadata WriteImages(const std::string& dir) {
  metadata::SplitMetadata split;
  split.folder = dir;
  for (int i = 0; i < kImages; ++i) {
    metadata::ImageRecord r;
    r.image_id = "img/" + std::to_string(i) + ".png";
    r.width = 20 + i;
    r.height = 12 + 2 * i;
    r.labels = {i % 3};
    if (i == 4) r.labels = {1, 2};
    std::filesystem::create_directories(dir + "/img");
    const cv::Mat bgr(r.height, r.width, CV_8UC3, cv::Scalar(5, 100, 20 * i));
    EXPECT_TRUE(cv::imwrite(dir + "/" + r.image_id, bgr));
    split.images.push_back(r);
  }
  return split;
}

LoaderOptions EvalOptions(const std::string& dir) {
  LoaderOptions options;
  options.image_root = dir;
  options.transform.eval_size = 8;
  options.batch_size = 4;
  options.num_workers = 2;
  return options;
}

LoaderOptions TrainOptions(const std::string& dir) {
  LoaderOptions options = EvalOptions(dir);
  options.transform.train = true;
  options.transform.resize_size = 12;
  options.transform.crop_size = 8;
  options.shuffle = true;
  options.seed = 3;
  return options;
}

std::vector<Batch> Epoch(ImageLoader& loader, int epoch) {
  loader.StartEpoch(epoch);
  std::vector<Batch> batches;
  while (true) {
    absl::StatusOr<std::optional<Batch>> batch = loader.Next();
    EXPECT_THAT(batch, IsOk());
    if (!batch.ok() || !batch->has_value()) break;
    batches.push_back(**batch);
  }
  return batches;
}

// The red value (0..255) of a normalized pixel.
double Red(float normalized) { return (normalized * 0.229 + 0.485) * 255; }

TEST(ImageLoaderTest, EvalBatchesFollowTheMetadata) {
  const std::string dir = FreshTestDir("loader_eval");
  absl::StatusOr<std::unique_ptr<ImageLoader>> loader =
      ImageLoader::Create(WriteImages(dir), EvalOptions(dir));
  ASSERT_THAT(loader, IsOk());
  EXPECT_EQ((*loader)->num_batches(), 3);
  const std::vector<Batch> batches = Epoch(**loader, 0);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[2].size(), 2);
  const Batch& b = batches[1];
  EXPECT_EQ(b.images.sizes(), (std::vector<int64_t>{4, 3, 8, 8}));
  EXPECT_EQ(b.images.scalar_type(), at::kFloat);
  EXPECT_EQ(b.labels.scalar_type(), at::kLong);
  EXPECT_THAT(b.image_ids, ElementsAre("img/4.png", "img/5.png", "img/6.png", "img/7.png"));
  EXPECT_THAT(b.indices, ElementsAre(4, 5, 6, 7));
  EXPECT_EQ(b.labels[0].item<int64_t>(), 1);  // First of {1, 2}.
  EXPECT_EQ(b.labels[1].item<int64_t>(), 2);
  EXPECT_THAT(b.all_labels[0], ElementsAre(1, 2));
  EXPECT_EQ(b.widths[1], 25);
  EXPECT_EQ(b.heights[1], 22);
  for (int k = 0; k < 4; ++k) {
    EXPECT_NEAR(Red(b.images[k][0][3][3].item<float>()), 20 * (4 + k), 1e-3);
  }
  // A second epoch without shuffling is the same.
  const std::vector<Batch> again = Epoch(**loader, 1);
  EXPECT_TRUE(at::equal(again[1].images, b.images));
}

TEST(ImageLoaderTest, ShuffledEpochsAreIdenticalForAnyWorkerCount) {
  const std::string dir = FreshTestDir("loader_det");
  const metadata::SplitMetadata split = WriteImages(dir);
  LoaderOptions one = TrainOptions(dir);
  one.num_workers = 1;
  one.prefetch_batches = 1;
  LoaderOptions three = TrainOptions(dir);
  three.num_workers = 3;
  auto a = ImageLoader::Create(split, one);
  auto b = ImageLoader::Create(split, three);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  for (int epoch = 0; epoch < 2; ++epoch) {
    const std::vector<Batch> x = Epoch(**a, epoch), y = Epoch(**b, epoch);
    ASSERT_EQ(x.size(), y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(x[i].image_ids, y[i].image_ids);
      EXPECT_TRUE(at::equal(x[i].images, y[i].images)) << "epoch " << epoch << " batch " << i;
      EXPECT_TRUE(at::equal(x[i].labels, y[i].labels));
    }
  }
}

TEST(ImageLoaderTest, ShuffleVisitsEveryImageOncePerEpochInANewOrder) {
  const std::string dir = FreshTestDir("loader_shuffle");
  auto loader = ImageLoader::Create(WriteImages(dir), TrainOptions(dir));
  ASSERT_THAT(loader, IsOk());
  std::vector<std::vector<int64_t>> orders;
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<int64_t> order;
    for (const Batch& b : Epoch(**loader, epoch)) {
      order.insert(order.end(), b.indices.begin(), b.indices.end());
    }
    std::vector<int64_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_THAT(sorted, ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
    orders.push_back(order);
  }
  EXPECT_NE(orders[0], orders[1]);
  EXPECT_NE(orders[1], orders[2]);
}

TEST(ImageLoaderTest, ShardsSplitTheEpochEvenly) {
  const std::string dir = FreshTestDir("loader_shards");
  const metadata::SplitMetadata split = WriteImages(dir);
  std::vector<int64_t> seen;
  for (int shard = 0; shard < 3; ++shard) {
    LoaderOptions options = TrainOptions(dir);
    options.num_shards = 3;
    options.shard_index = shard;
    auto loader = ImageLoader::Create(split, options);
    ASSERT_THAT(loader, IsOk());
    EXPECT_EQ((*loader)->num_images(), 4);  // ceil(10 / 3), padded by wrapping around.
    int64_t count = 0;
    for (const Batch& b : Epoch(**loader, 0)) {
      count += b.size();
      seen.insert(seen.end(), b.indices.begin(), b.indices.end());
    }
    EXPECT_EQ(count, 4);
  }
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  EXPECT_EQ(seen.size(), 10u);
}

TEST(ImageLoaderTest, DropLastDropsTheShortBatch) {
  const std::string dir = FreshTestDir("loader_drop");
  LoaderOptions options = TrainOptions(dir);
  options.drop_last = true;
  auto loader = ImageLoader::Create(WriteImages(dir), options);
  ASSERT_THAT(loader, IsOk());
  const std::vector<Batch> batches = Epoch(**loader, 0);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1].size(), 4);
}

TEST(ImageLoaderTest, MissingImageNamesIdAndPath) {
  const std::string dir = FreshTestDir("loader_missing");
  const metadata::SplitMetadata split = WriteImages(dir);
  std::filesystem::remove(dir + "/img/6.png");
  auto loader = ImageLoader::Create(split, EvalOptions(dir));
  ASSERT_THAT(loader, IsOk());
  (*loader)->StartEpoch(0);
  ASSERT_THAT((*loader)->Next(), IsOk());
  EXPECT_THAT((*loader)->Next(), StatusIs(absl::StatusCode::kNotFound,
                                          HasSubstr("image img/6.png (" + dir + "/img/6.png): ")));
  // After an error the epoch yields nothing more.
  absl::StatusOr<std::optional<Batch>> after = (*loader)->Next();
  ASSERT_THAT(after, IsOk());
  EXPECT_FALSE(after->has_value());
}

TEST(ImageLoaderTest, SkipBadImagesSkipsAndCounts) {
  const std::string dir = FreshTestDir("loader_skip");
  const metadata::SplitMetadata split = WriteImages(dir);
  std::filesystem::remove(dir + "/img/6.png");
  testing::WriteTestFile(dir + "/img/9.png", "not a png");
  LoaderOptions options = EvalOptions(dir);
  options.skip_bad_images = true;
  auto loader = ImageLoader::Create(split, options);
  ASSERT_THAT(loader, IsOk());
  for (int epoch = 0; epoch < 2; ++epoch) {
    const std::vector<Batch> batches = Epoch(**loader, epoch);
    ASSERT_EQ(batches.size(), 3u);
    EXPECT_THAT(batches[1].image_ids, ElementsAre("img/4.png", "img/5.png", "img/7.png"));
    EXPECT_EQ(batches[1].images.size(0), 3);
    EXPECT_EQ(batches[1].labels.size(0), 3);
    EXPECT_NEAR(Red(batches[1].images[2][0][0][0].item<float>()), 140, 1e-3);
    EXPECT_EQ(batches[2].size(), 1);
  }
  const std::vector<std::string> skipped = (*loader)->SkippedImages();
  ASSERT_EQ(skipped.size(), 2u);  // Each bad image once, whatever the epochs.
  EXPECT_THAT(skipped[0], HasSubstr("img/6.png"));
  EXPECT_THAT(skipped[1], HasSubstr("img/9.png"));
  EXPECT_THAT(skipped[1], HasSubstr("not a decodable image"));
}

// Decoded images are kept (within cache_bytes, in metadata order): the batches are those of
// a loader that decodes every time, and a later epoch reads no file it has kept.
TEST(ImageLoaderTest, KeptImagesGiveTheSameBatchesWithoutRereading) {
  const std::string dir = FreshTestDir("loader_cache");
  const metadata::SplitMetadata split = WriteImages(dir);
  LoaderOptions uncached_options = TrainOptions(dir);
  uncached_options.cache_bytes = 0;
  LoaderOptions partly_options = TrainOptions(dir);
  partly_options.cache_bytes = 4 * 12 * 12 * 3;  // The first four images at resize_size 12.
  auto uncached = ImageLoader::Create(split, uncached_options);
  auto cached = ImageLoader::Create(split, TrainOptions(dir));
  auto partly = ImageLoader::Create(split, partly_options);
  ASSERT_THAT(uncached, IsOk());
  ASSERT_THAT(cached, IsOk());
  ASSERT_THAT(partly, IsOk());
  for (int epoch : {0, 1}) {
    const std::vector<Batch> want = Epoch(**uncached, epoch);
    const std::vector<Batch> got = Epoch(**cached, epoch);
    ASSERT_EQ(got.size(), want.size());
    for (size_t b = 0; b < got.size(); ++b) {
      EXPECT_TRUE(got[b].images.equal(want[b].images)) << "epoch " << epoch << " batch " << b;
      EXPECT_EQ(got[b].image_ids, want[b].image_ids);
    }
  }
  Epoch(**partly, 0);
  const std::vector<Batch> before = Epoch(**uncached, 2);
  std::filesystem::remove_all(dir + "/img");
  const std::vector<Batch> after = Epoch(**cached, 2);
  ASSERT_EQ(after.size(), before.size());
  for (size_t b = 0; b < after.size(); ++b) EXPECT_TRUE(after[b].images.equal(before[b].images));
  // Images 4 to 9 were beyond the budget: read again, and now missing.
  (*partly)->StartEpoch(1);
  absl::Status status = absl::OkStatus();
  while (status.ok()) {
    absl::StatusOr<std::optional<Batch>> batch = (*partly)->Next();
    if (batch.ok() && !batch->has_value()) break;
    status = batch.status();
  }
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound, HasSubstr("no such file")));
}

TEST(ImageLoaderTest, AbandoningAnEpochIsSafe) {
  const std::string dir = FreshTestDir("loader_abandon");
  auto loader = ImageLoader::Create(WriteImages(dir), TrainOptions(dir));
  ASSERT_THAT(loader, IsOk());
  (*loader)->StartEpoch(0);
  ASSERT_THAT((*loader)->Next(), IsOk());
  EXPECT_EQ(Epoch(**loader, 1).size(), 3u);
  (*loader)->StartEpoch(2);  // Destroyed with workers running.
}

TEST(ImageLoaderTest, BadOptionsAreRejected) {
  LoaderOptions options;
  options.batch_size = 0;
  EXPECT_THAT(ImageLoader::Create({}, options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("batch_size")));
  options = LoaderOptions();
  options.transform.train = true;
  options.transform.crop_size = 80;
  EXPECT_THAT(ImageLoader::Create({}, options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("crop_size 80")));
  options = LoaderOptions();
  options.shard_index = 2;
  options.num_shards = 2;
  EXPECT_THAT(ImageLoader::Create({}, options), StatusIs(absl::StatusCode::kInvalidArgument));
  metadata::SplitMetadata unlabeled;
  unlabeled.images.push_back(metadata::ImageRecord{.image_id = "x.png"});
  EXPECT_THAT(ImageLoader::Create(unlabeled, LoaderOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("x.png has no label")));
}

}  // namespace
}  // namespace wsol::data
