#include "datasets/fmnist_loc/fmnist_loc.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "wsol/metadata/metadata.h"
#include "wsol/util/fault_injection.h"
#include "wsol/util/status_matchers.h"
#include "wsol/util/test_files.h"

namespace wsol::datasets {
namespace {

namespace fs = std::filesystem;

using testing::FreshTestDir;
using ::testing::HasSubstr;
using testing::IdxBytes;
using testing::ReadGray;
using testing::WriteGzipFile;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

// A stand-in for Fashion-MNIST: per class, filled ellipses of varying size and intensity
// (class c is taller or wider depending on c), 12 training and 6 test items per class,
// plus one blank item that the generator must never use.
std::string WriteFakeFashionMnist(const std::string& name) {
  const std::string dir = FreshTestDir(name);
  for (const auto& [prefix, per_class] : {std::pair<std::string, int>{"train", 12}, {"t10k", 6}}) {
    std::vector<uint8_t> pixels, labels;
    for (int c = 0; c < kFmnistLocNumClasses; ++c) {
      for (int k = 0; k <= per_class; ++k) {
        cv::Mat item(28, 28, CV_8UC1, cv::Scalar(0));
        if (k < per_class) {  // The last item of each class stays blank.
          cv::ellipse(item, cv::Point(14, 14), cv::Size(4 + c, 12 - c / 2), 0, 0, 360,
                      cv::Scalar(80 + 15 * k), cv::FILLED);
        }
        pixels.insert(pixels.end(), item.data, item.data + 28 * 28);
        labels.push_back(static_cast<uint8_t>(c));
      }
    }
    const int n = static_cast<int>(labels.size());
    WriteGzipFile(dir + "/" + prefix + "-images-idx3-ubyte.gz", IdxBytes({n, 28, 28}, pixels));
    WriteGzipFile(dir + "/" + prefix + "-labels-idx1-ubyte.gz", IdxBytes({n}, labels));
  }
  return dir;
}

FmnistLocOptions TinyOptions(const std::string& fashion_mnist_dir) {
  FmnistLocOptions o;
  o.fashion_mnist_dir = fashion_mnist_dir;
  o.canvas_size = 32;
  o.min_item_size = 12;
  o.max_item_size = 28;
  o.train_per_class = 4;
  o.val_per_class = 2;
  o.test_per_class = 3;
  o.distractors = 2;
  o.seed = 5;
  return o;
}

// Every byte of every file under `root`, by relative path.
std::map<std::string, std::string> ReadTree(const std::string& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    files[fs::relative(entry.path(), root).string()] =
        std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  return files;
}

// Checks the ground truth of every image of `split` in `root`.
void CheckSplit(const std::string& root, const std::string& split, int per_class, int canvas) {
  absl::StatusOr<metadata::SplitMetadata> boxes = metadata::ReadSplitMetadata(
      root + "/" + kFmnistLocBoxMetadata + "/" + split, {.num_classes = 10});
  absl::StatusOr<metadata::SplitMetadata> masks = metadata::ReadSplitMetadata(
      root + "/" + kFmnistLocMaskMetadata + "/" + split, {.num_classes = 10});
  ASSERT_THAT(boxes, IsOk());
  ASSERT_THAT(masks, IsOk());
  ASSERT_EQ(boxes->kind, metadata::LocalizationKind::kBoxes);
  ASSERT_EQ(masks->kind, metadata::LocalizationKind::kMasks);
  ASSERT_EQ(boxes->images.size(), static_cast<size_t>(per_class * kFmnistLocNumClasses));
  ASSERT_EQ(masks->images.size(), boxes->images.size());
  std::map<int, int> per_label;
  for (size_t i = 0; i < boxes->images.size(); ++i) {
    const metadata::ImageRecord& b = boxes->images[i];
    const metadata::ImageRecord& m = masks->images[i];
    SCOPED_TRACE(b.image_id);
    ASSERT_EQ(b.image_id, m.image_id);
    ASSERT_EQ(b.labels.size(), 1u);
    // Grouped by class, in label order.
    EXPECT_EQ(b.labels[0], static_cast<int>(i) / per_class);
    ++per_label[b.labels[0]];
    EXPECT_EQ(b.width, canvas);
    EXPECT_EQ(b.height, canvas);
    const cv::Mat image = cv::imread(root + "/" + b.image_id, cv::IMREAD_UNCHANGED);
    ASSERT_EQ(image.type(), CV_8UC3);
    ASSERT_EQ(image.cols, canvas);
    ASSERT_EQ(image.rows, canvas);
    const cv::Mat mask = ReadGray(root + "/" + m.mask_paths.at(0));
    const cv::Mat ignore = ReadGray(root + "/" + m.ignore_path);
    ASSERT_EQ(mask.size(), image.size());
    ASSERT_EQ(ignore.size(), image.size());
    // The box is the tight box of the mask.
    cv::Mat on = mask > 0;
    ASSERT_GT(cv::countNonZero(on), 0);
    const cv::Rect tight = cv::boundingRect(on);
    ASSERT_EQ(b.boxes.size(), 1u);
    EXPECT_EQ(b.boxes[0], (metrics::Box{tight.x, tight.y, tight.x + tight.width - 1,
                                        tight.y + tight.height - 1}));
    // Masks are binary; ignore and mask are disjoint; the band touches the mask.
    EXPECT_EQ(cv::countNonZero(mask == 255) + cv::countNonZero(mask == 0), canvas * canvas);
    EXPECT_EQ(cv::countNonZero((mask > 0) & (ignore > 0)), 0);
    EXPECT_GT(cv::countNonZero(ignore), 0);
  }
  for (int c = 0; c < kFmnistLocNumClasses; ++c) EXPECT_EQ(per_label[c], per_class) << c;
}

TEST(FmnistLocTest, BoxIsTheTightBoxOfTheMaskOnEveryImage) {
  const FmnistLocOptions options = TinyOptions(WriteFakeFashionMnist("fmnist_fake"));
  const std::string root = FreshTestDir("fmnist_tight");
  ASSERT_THAT(GenerateFmnistLoc(options, root), IsOk());
  CheckSplit(root, "train", 4, 32);
  CheckSplit(root, "val", 2, 32);
  CheckSplit(root, "test", 3, 32);
}

TEST(FmnistLocTest, DeterministicForTheSeedWhateverTheThreads) {
  FmnistLocOptions options = TinyOptions(WriteFakeFashionMnist("fmnist_fake_det"));
  const std::string a = FreshTestDir("fmnist_det_a");
  const std::string b = FreshTestDir("fmnist_det_b");
  options.threads = 1;
  ASSERT_THAT(GenerateFmnistLoc(options, a), IsOk());
  options.threads = 3;
  ASSERT_THAT(GenerateFmnistLoc(options, b), IsOk());
  const auto tree_a = ReadTree(a);
  // 3 PNGs an image, 8 metadata files and an items list a split, 2 text files.
  EXPECT_EQ(tree_a.size(), 3u * 10 * (4 + 2 + 3) + 9 * 3 + 2);
  EXPECT_TRUE(tree_a == ReadTree(b));

  options.seed = 6;
  const std::string c = FreshTestDir("fmnist_det_c");
  ASSERT_THAT(GenerateFmnistLoc(options, c), IsOk());
  const auto tree_c = ReadTree(c);
  EXPECT_NE(tree_a.at("images/train/00_t_shirt_top/00000.png"),
            tree_c.at("images/train/00_t_shirt_top/00000.png"));
}

TEST(FmnistLocTest, UsesOnlyItemsWithInkAndChecksThereAreEnough) {
  // The fake set has 12 inked and 1 blank training item per class; train and val draw
  // distinct items, so 10 + 2 fit and 11 + 2 do not.
  FmnistLocOptions options = TinyOptions(WriteFakeFashionMnist("fmnist_fake_splits"));
  options.train_per_class = 10;
  options.val_per_class = 2;
  ASSERT_THAT(GenerateFmnistLoc(options, FreshTestDir("fmnist_splits")), IsOk());
  options.train_per_class = 11;
  EXPECT_THAT(GenerateFmnistLoc(options, FreshTestDir("fmnist_splits_too_many")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("has 12 training and 6 test items of class 0")));
}

TEST(FmnistLocTest, MissingFashionMnistGivesTheInstallHint) {
  FmnistLocOptions options = TinyOptions(FreshTestDir("fmnist_empty"));
  EXPECT_THAT(
      GenerateFmnistLoc(options, FreshTestDir("fmnist_empty_out")),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("apt-get install dataset-fashion-mnist")));
  EXPECT_THAT(GenerateFmnistLoc(options, FreshTestDir("fmnist_empty_out")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("tools/setup.sh")));
}

TEST(FmnistLocTest, BadSettingsNameTheField) {
  FmnistLocOptions options = TinyOptions("unused");
  options.max_item_size = 40;
  EXPECT_THAT(ValidateFmnistLocOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("fmnist_loc.max_item_size = 40: expected <= canvas_size")));
  options = TinyOptions("unused");
  options.background_correlation = 1.5;
  EXPECT_THAT(ValidateFmnistLocOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("background_correlation")));
}

TEST(FmnistLocTest, EnsureGeneratesOnceAndReuses) {
  const FmnistLocOptions options = TinyOptions(WriteFakeFashionMnist("fmnist_fake_cache"));
  const std::string cache = FreshTestDir("fmnist_cache");
  absl::StatusOr<std::string> root = EnsureFmnistLoc(options, cache);
  ASSERT_THAT(root, IsOk());
  EXPECT_EQ(*root, cache + "/fmnist_loc/" + FmnistLocFingerprint(options));
  CheckSplit(*root, "val", 2, 32);
  // A marker dropped into the folder survives the second call: nothing was regenerated.
  testing::WriteTestFile(*root + "/marker", "x");
  absl::StatusOr<std::string> again = EnsureFmnistLoc(options, cache);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*again, *root);
  EXPECT_TRUE(fs::exists(*root + "/marker"));
  // Other settings, other folder; no temporary folders left behind.
  FmnistLocOptions other = options;
  other.background_correlation = 0.5;
  absl::StatusOr<std::string> third = EnsureFmnistLoc(other, cache);
  ASSERT_THAT(third, IsOk());
  EXPECT_NE(*third, *root);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(cache + "/fmnist_loc")) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names.size(), 2u);
  for (const std::string& name : names) EXPECT_NE(name.rfind(".tmp", 0), 0u) << name;
}

// A generation killed half-way leaves ".tmp-<fingerprint>-<pid>-..." (15 MB at the
// embedded size): the next use of the cache removes it once its process has ended and an
// hour has passed (a cache shared with other machines may hold their live ones).
TEST(FmnistLocTest, AKilledGenerationsFolderIsRemovedLater) {
  const FmnistLocOptions options = TinyOptions(WriteFakeFashionMnist("fmnist_fake_killed"));
  const std::string cache = FreshTestDir("fmnist_cache_killed");
  const std::string dead = std::to_string(wsol::testing::EndedProcessId());
  const fs::path old_leftover = fs::path(cache) / "fmnist_loc" / (".tmp-abc-" + dead + "-0-1");
  const fs::path young_leftover = fs::path(cache) / "fmnist_loc" / (".tmp-abd-" + dead + "-0-2");
  fs::create_directories(old_leftover / "images");
  fs::create_directories(young_leftover / "images");
  fs::last_write_time(old_leftover, fs::file_time_type::clock::now() - std::chrono::hours(2));
  ASSERT_THAT(EnsureFmnistLoc(options, cache), IsOk());
  EXPECT_FALSE(fs::exists(old_leftover));
  EXPECT_TRUE(fs::exists(young_leftover));
}

TEST(FmnistLocTest, FingerprintCoversEverySettingButNotThreadsOrSource) {
  const FmnistLocOptions base = TinyOptions("a");
  FmnistLocOptions same = base;
  same.threads = 7;
  same.fashion_mnist_dir = "b";
  EXPECT_EQ(FmnistLocFingerprint(base), FmnistLocFingerprint(same));
  std::set<std::string> prints = {FmnistLocFingerprint(base)};
  auto vary = [&](auto change) {
    FmnistLocOptions o = base;
    change(o);
    prints.insert(FmnistLocFingerprint(o));
  };
  vary([](FmnistLocOptions& o) { o.canvas_size += 1; });
  vary([](FmnistLocOptions& o) { o.min_item_size += 1; });
  vary([](FmnistLocOptions& o) { o.max_item_size += 1; });
  vary([](FmnistLocOptions& o) { o.train_per_class += 1; });
  vary([](FmnistLocOptions& o) { o.val_per_class += 1; });
  vary([](FmnistLocOptions& o) { o.test_per_class += 1; });
  vary([](FmnistLocOptions& o) { o.background_correlation = 0.25; });
  vary([](FmnistLocOptions& o) { o.distractors += 1; });
  vary([](FmnistLocOptions& o) { o.seed += 1; });
  EXPECT_EQ(prints.size(), 10u);
}

TEST(FmnistLocTest, OptionsFromProtoKeepTheDefaults) {
  const FmnistLocOptions o = FmnistLocOptionsFromProto(proto::FmnistLoc());
  const FmnistLocOptions defaults;
  // wsol/proto/dataset.proto's defaults equal FmnistLocOptions' defaults.
  EXPECT_EQ(FmnistLocFingerprint(o), FmnistLocFingerprint(defaults));
}

TEST(FmnistLocTest, PreviewIsAContactSheet) {
  const FmnistLocOptions options = TinyOptions(WriteFakeFashionMnist("fmnist_fake_preview"));
  const std::string root = FreshTestDir("fmnist_preview");
  ASSERT_THAT(GenerateFmnistLoc(options, root), IsOk());
  ASSERT_THAT(WriteFmnistLocPreview(root, "test", 3, root + "/preview.png"), IsOk());
  const cv::Mat sheet = cv::imread(root + "/preview.png");
  // 32 px canvases enlarged 4x (to 128) with 4 px gaps: 10 columns, 3 rows, 18 px header.
  EXPECT_EQ(sheet.cols, 10 * (128 + 4));
  EXPECT_EQ(sheet.rows, 18 + 3 * (128 + 4));
}

// The Fashion-MNIST item indices of a generated split.
std::set<int> ItemsOf(const std::string& root, const std::string& split) {
  std::set<int> items;
  std::ifstream in(root + "/items_" + split + ".txt");
  for (std::string line; std::getline(in, line);) {
    items.insert(std::stoi(line.substr(line.rfind(',') + 1)));
  }
  return items;
}

TEST(FmnistLocTest, PretrainingSetSharesNoItemWithAWsolSet) {
  if (!fs::exists(std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz")) {
    // A required package (tools/setup.sh), so a fail, not a skip counted as a pass.
    FAIL() << "dataset-fashion-mnist is not installed: run tools/setup.sh";
  }
  // A WSOL set and a pretraining set with other seeds and sizes: items from opposite
  // ends of the same fixed lists, so none is shared (train and val from the training
  // file, test from the test file).
  FmnistLocOptions wsol_options;
  wsol_options.train_per_class = 30;
  wsol_options.val_per_class = 5;
  wsol_options.test_per_class = 10;
  FmnistLocOptions pretraining = wsol_options;
  pretraining.pretraining = true;
  pretraining.seed = 99;
  pretraining.train_per_class = 40;
  const std::string wsol_root = FreshTestDir("items_wsol"), pre_root = FreshTestDir("items_pre");
  ASSERT_THAT(GenerateFmnistLoc(wsol_options, wsol_root), IsOk());
  ASSERT_THAT(GenerateFmnistLoc(pretraining, pre_root), IsOk());
  std::set<int> wsol_train = ItemsOf(wsol_root, "train"), pre_train = ItemsOf(pre_root, "train");
  for (int item : ItemsOf(wsol_root, "val")) wsol_train.insert(item);
  for (int item : ItemsOf(pre_root, "val")) pre_train.insert(item);
  EXPECT_EQ(wsol_train.size(), 350u);
  EXPECT_EQ(pre_train.size(), 450u);
  for (int item : pre_train) EXPECT_EQ(wsol_train.count(item), 0u) << "training item " << item;
  for (int item : ItemsOf(pre_root, "test")) {
    EXPECT_EQ(ItemsOf(wsol_root, "test").count(item), 0u) << "test item " << item;
  }
  // The sizes that would reach into the other end are refused.
  pretraining.train_per_class = 2600;
  EXPECT_THAT(ValidateFmnistLocOptions(pretraining),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("<= 2500")));
  wsol_options.train_per_class = 3000;
  EXPECT_THAT(ValidateFmnistLocOptions(wsol_options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("<= 3000")));
}

TEST(FmnistLocTest, BuildsFromDebianFashionMnist) {
  if (!fs::exists(std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz")) {
    // A required package (tools/setup.sh), so a fail, not a skip counted as a pass.
    FAIL() << "dataset-fashion-mnist is not installed: run tools/setup.sh";
  }
  FmnistLocOptions options;  // Default settings, fewer images.
  options.train_per_class = 2;
  options.val_per_class = 1;
  options.test_per_class = 2;
  const std::string root = FreshTestDir("fmnist_debian");
  ASSERT_THAT(GenerateFmnistLoc(options, root), IsOk());
  CheckSplit(root, "train", 2, 64);
  CheckSplit(root, "test", 2, 64);
  // Recorded from this generator (kFmnistLocVersion 2) with these settings. A change
  // means the data changed: bump kFmnistLocVersion so stale caches are not reused.
  absl::StatusOr<metadata::SplitMetadata> test =
      metadata::ReadSplitMetadata(root + "/metadata/test");
  ASSERT_THAT(test, IsOk());
  EXPECT_EQ(test->images[0].boxes.at(0), (metrics::Box{3, 6, 25, 31}));
  EXPECT_EQ(test->images[5].boxes.at(0), (metrics::Box{7, 5, 48, 59}));
}

}  // namespace
}  // namespace wsol::datasets
