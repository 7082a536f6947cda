// Mutation fuzzing of every parser that reads a user's files: .npy score maps, the
// wsolevaluation metadata files, experiment specs and --set overrides, CUB's source files
// (through the CUB preparer) and .pt checkpoints. Each case mutates a valid input with a
// seeded generator (bit flips, bytes that matter to the formats, insertions, deletions,
// duplicated and truncated ranges); the outcome must be a result or an error that names
// the input, never a crash, a hang (a watchdog aborts a case that runs past 20 s, naming
// it) or a sanitizer report (under --config=asan / ubsan).
//
//   bazel test //tools/fuzz:parsers_fuzz_test                        # CI: a few thousand
//   bazel test //tools/fuzz:parsers_fuzz_test --test_arg=--cases=50000 --test_timeout=3600
#include <torch/serialize/archive.h>
#include <torch/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "datasets/prepare/prepare_cub.h"
#include "gtest/gtest.h"
#include "tools/components.h"
#include "wsol/metadata/metadata.h"
#include "wsol/metrics/npy.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/util/test_files.h"
#include "wsol/util/zip_check.h"

namespace wsol {
namespace {

namespace fs = std::filesystem;

int cases_per_parser = 0;  // --cases=N (0: each parser's CI default).

int Cases(int ci_default) { return cases_per_parser > 0 ? cases_per_parser : ci_default; }

// Aborts the process, naming the case, when one case runs past its time.
class Watchdog {
 public:
  Watchdog() : thread_([this] { Watch(); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Start(std::string name) {
    std::lock_guard<std::mutex> lock(mu_);
    name_ = std::move(name);
    started_ = std::chrono::steady_clock::now();
    running_ = true;
  }
  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    running_ = false;
  }

 private:
  void Watch() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!done_) {
      cv_.wait_for(lock, std::chrono::seconds(1));
      if (running_ && std::chrono::steady_clock::now() - started_ > std::chrono::seconds(20)) {
        std::cerr << "HANG: fuzz case " << name_ << " ran past 20 s\n";
        std::abort();
      }
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false, running_ = false;
  std::string name_;
  std::chrono::steady_clock::time_point started_;
  std::thread thread_;
};

// One seeded mutation of `input`: 1-4 edits of the kinds above.
std::string Mutate(const std::string& input, std::mt19937_64& rng) {
  static const char kInteresting[] = {'\0', '\xff', '\x80', ',', '\n', '\r', ' ',    '-',   '+',
                                      '.',  'e',    'n',    '9', '0',  '[',  ']',    '{',   '}',
                                      '"',  '\'',   ':',    '#', '(',  ')',  '\x93', '\x7f'};
  std::string s = input;
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    const size_t n = s.size();
    const size_t at = n == 0 ? 0 : rng() % n;
    switch (rng() % 7) {
      case 0:  // Bit flip.
        if (n > 0) s[at] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:  // A byte that means something to one of the formats.
        if (n > 0) s[at] = kInteresting[rng() % sizeof(kInteresting)];
        break;
      case 2: {  // Insert random bytes.
        std::string bytes(1 + rng() % 8, '\0');
        for (char& c : bytes) c = static_cast<char>(rng());
        s.insert(at, bytes);
        break;
      }
      case 3:  // Delete a range.
        if (n > 0) s.erase(at, 1 + rng() % std::min<size_t>(n - at, 64));
        break;
      case 4:  // Duplicate a range.
        if (n > 0) s.insert(at, s.substr(at, 1 + rng() % std::min<size_t>(n - at, 64)));
        break;
      case 5:  // Truncate.
        s.resize(at);
        break;
      default: {  // A long run of digits (overflowing numbers).
        s.insert(at, std::string(1 + rng() % 40, static_cast<char>('0' + rng() % 10)));
        break;
      }
    }
  }
  return s;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// An error must say where: `name` (a file, or the text of an override) in its message.
void ExpectNamed(const absl::Status& status, const std::string& name, const std::string& what) {
  if (status.ok()) return;
  EXPECT_FALSE(status.message().empty()) << what;
  EXPECT_NE(status.message().find(name), absl::string_view::npos)
      << what << ": the error does not name " << name << ": " << status.message();
}

TEST(ParsersFuzzTest, Npy) {
  cv::Mat map(4, 5, CV_32F, cv::Scalar(0.5f));
  const std::string dir = ::testing::TempDir() + "/fuzz_npy";
  fs::create_directories(dir);
  ASSERT_TRUE(metrics::WriteNpy(dir + "/seed.npy", map).ok());
  const std::string valid = ReadFile(dir + "/seed.npy");
  std::mt19937_64 rng(1);
  Watchdog watchdog;
  for (int i = 0; i < Cases(4000); ++i) {
    const std::string bytes = Mutate(valid, rng);
    watchdog.Start(absl::StrCat("npy #", i));
    absl::StatusOr<cv::Mat> parsed = metrics::ParseNpy(bytes, "case.npy");
    watchdog.Stop();
    ExpectNamed(parsed.status(), "case.npy", absl::StrCat("npy #", i));
    if (parsed.ok()) {
      EXPECT_EQ(parsed->dims, 2);
      EXPECT_GT(parsed->total(), 0u);
    }
  }
}

TEST(ParsersFuzzTest, Metadata) {
  const std::map<std::string, std::string> valid = {
      {"image_ids.txt", "a.jpg\nb.jpg\nc/d.png\n"},
      {"class_labels.txt", "a.jpg,0\nb.jpg,2\nc/d.png,1\n"},
      {"image_sizes.txt", "a.jpg,100,80\nb.jpg,50,40\nc/d.png,7,9\n"},
      {"localization.txt", "a.jpg,1,2,30,40\na.jpg,5,5,99,79\nb.jpg,0,0,49,39\nc/d.png,0,0,6,8\n"}};
  const std::string dir = ::testing::TempDir() + "/fuzz_metadata";
  std::mt19937_64 rng(2);
  Watchdog watchdog;
  for (int i = 0; i < Cases(2000); ++i) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto it = valid.begin();
    std::advance(it, rng() % valid.size());
    for (const auto& [file, text] : valid) {
      WriteFile(dir + "/" + file, file == it->first ? Mutate(text, rng) : text);
    }
    watchdog.Start(absl::StrCat("metadata #", i, " (", it->first, ")"));
    absl::StatusOr<metadata::SplitMetadata> split =
        metadata::ReadSplitMetadata(dir, {.num_classes = 3});
    watchdog.Stop();
    ExpectNamed(split.status(), ".txt", absl::StrCat("metadata #", i));
    if (split.ok()) {
      for (const metadata::ImageRecord& r : split->images) {
        EXPECT_FALSE(r.labels.empty());
        for (int label : r.labels) EXPECT_TRUE(label >= 0 && label < 3);
        for (const metrics::Box& b : r.boxes) {
          EXPECT_TRUE(b.x0 >= 0 && b.x0 <= b.x1 && b.x1 <= r.width) << "metadata #" << i;
          EXPECT_TRUE(b.y0 >= 0 && b.y0 <= b.y1 && b.y1 <= r.height) << "metadata #" << i;
        }
      }
    }
  }
}

constexpr char kSpec[] = R"pb(name: "fuzz"
dataset {
  name: "FMNIST_LOC" num_classes: 10 resize_size: 36 crop_size: 32 eval_size: 32
  fmnist_loc { canvas_size: 32 min_item_size: 12 max_item_size: 28 train_per_class: 4 }
}
backbone { architecture: "resnet50" width_multiplier: 0.0625 large_feature_map: true }
method { adl { drop_rate: 0.75 gamma: 0.9 } }
regularizer { entropy_kl_uniform { lambda: 1e-4 } }
optimizer { lr: 0.01 epochs: 3 batch_size: 16 decay_every_epochs: 2 }
evaluation { cam_curve_interval: 0.05 iou_thresholds: [30, 50, 70] }
runtime { device: "cpu" threads: 1 loader_workers: 2 seed: 7 }
)pb";

TEST(ParsersFuzzTest, SpecsAndOverrides) {
  const std::string path = ::testing::TempDir() + "/fuzz_spec.pbtxt";
  const spec::ComponentValidators validators = tools::StandardValidators();
  const std::vector<std::string> valid_sets = {
      "optimizer.lr=0.02",   "evaluation.iou_thresholds=[30,50]", "regularizer.jsd={lambda:1e-3}",
      "runtime.threads=2",   "backbone.architecture=vgg16",       "method.cam={}",
      "dataset.name=\"CUB\""};
  std::mt19937_64 rng(3);
  Watchdog watchdog;
  for (int i = 0; i < Cases(3000); ++i) {
    WriteFile(path, Mutate(kSpec, rng));
    watchdog.Start(absl::StrCat("spec #", i));
    absl::StatusOr<proto::Experiment> spec = spec::LoadExperimentFile(path, {}, validators);
    watchdog.Stop();
    ExpectNamed(spec.status(), "fuzz_spec.pbtxt", absl::StrCat("spec #", i));
  }
  WriteFile(path, kSpec);
  for (int i = 0; i < Cases(2000); ++i) {
    const std::string set = Mutate(valid_sets[rng() % valid_sets.size()], rng);
    watchdog.Start(absl::StrCat("--set #", i, ": ", set));
    absl::StatusOr<proto::Experiment> spec = spec::LoadExperimentFile(path, {set}, validators);
    watchdog.Stop();
    if (!spec.ok()) {
      EXPECT_FALSE(spec.status().message().empty()) << set;
    }
  }
}

TEST(ParsersFuzzTest, CubSourceFiles) {
  const std::string source = ::testing::TempDir() + "/fuzz_cub";
  const std::map<std::string, std::string> valid = {
      {"images.txt",
       "1 001.A/a1.jpg\n2 001.A/a2.jpg\n3 001.A/a3.jpg\n4 002.B/b1.jpg\n"
       "5 002.B/b2.jpg\n6 002.B/b3.jpg\n"},
      {"image_class_labels.txt", "1 1\n2 1\n3 1\n4 2\n5 2\n6 2\n"},
      {"train_test_split.txt", "1 0\n2 1\n3 1\n4 1\n5 0\n6 1\n"},
      {"bounding_boxes.txt",
       "1 6.0 2.0 20.0 10.0\n2 1.5 2.9 3.0 4.0\n3 0 0 31 31\n"
       "4 0.0 0.0 10.0 10.0\n5 1.0 2.0 3.0 4.0\n6 4 5 20 20\n"},
      {"classes.txt", "1 001.A\n2 002.B\n"}};
  fs::remove_all(source);
  for (const char* image : {"001.A/a1.jpg", "001.A/a2.jpg", "001.A/a3.jpg", "002.B/b1.jpg",
                            "002.B/b2.jpg", "002.B/b3.jpg"}) {
    testing::WriteTestImage(source + "/images/" + image, 32, 32);
  }
  std::mt19937_64 rng(4);
  Watchdog watchdog;
  for (int i = 0; i < Cases(300); ++i) {
    auto it = valid.begin();
    std::advance(it, rng() % valid.size());
    for (const auto& [file, text] : valid) {
      WriteFile(source + "/" + file, file == it->first ? Mutate(text, rng) : text);
    }
    datasets::PrepareOptions options;
    options.source = source;
    options.out = ::testing::TempDir() + "/fuzz_cub_out";
    options.val_per_class = 1;
    fs::remove_all(options.out);
    watchdog.Start(absl::StrCat("CUB #", i, " (", it->first, ")"));
    absl::StatusOr<datasets::PrepareResult> result = datasets::PrepareCub(options);
    watchdog.Stop();
    // Named: the source file, or (for a mangled path in images.txt) the image it lists.
    const bool image_named = absl::StrContains(result.status().message(), "cannot open image");
    ExpectNamed(result.status(), image_named ? "fuzz_cub/images/" : ".txt",
                absl::StrCat("CUB #", i, " (", it->first, ")"));
    if (result.ok()) {
      // What it wrote reads back as valid metadata with boxes inside their images.
      for (const char* split : {"train", "val", "test"}) {
        absl::StatusOr<metadata::SplitMetadata> written =
            metadata::ReadSplitMetadata(options.out + "/metadata/" + split);
        EXPECT_TRUE(written.ok() || written.status().code() == absl::StatusCode::kInvalidArgument)
            << "CUB #" << i << " " << split << ": " << written.status();
      }
    }
  }
}

TEST(ParsersFuzzTest, Checkpoints) {
  const std::string path = ::testing::TempDir() + "/fuzz_checkpoint.pt";
  {
    torch::serialize::OutputArchive archive;
    archive.write("w", torch::arange(300, torch::kFloat));
    archive.write("step", c10::IValue(int64_t{7}));
    archive.save_to(path);
  }
  const std::string valid = ReadFile(path);
  const std::string damaged = ::testing::TempDir() + "/fuzz_damaged.pt";
  std::mt19937_64 rng(5);
  Watchdog watchdog;
  int accepted = 0;
  for (int i = 0; i < Cases(1500); ++i) {
    WriteFile(damaged, Mutate(valid, rng));
    watchdog.Start(absl::StrCat("checkpoint #", i));
    absl::Status checked = VerifyZipChecksums(damaged);
    ExpectNamed(checked, "fuzz_damaged.pt", absl::StrCat("checkpoint #", i));
    if (checked.ok()) {
      // What passes the checksums is what LibTorch then reads: the tensor, or an error.
      ++accepted;
      try {
        torch::serialize::InputArchive archive;
        archive.load_from(damaged);
        torch::Tensor w;
        archive.read("w", w);
        EXPECT_TRUE(torch::equal(w, torch::arange(300, torch::kFloat))) << "checkpoint #" << i;
      } catch (const std::exception&) {
        // A LibTorch error (a renamed record, ...): the trainer's TorchStatus reports it
        // with the file's name.
      }
    }
    watchdog.Stop();
  }
  std::cout << accepted << " of " << Cases(1500) << " damaged checkpoints passed the checksums\n";
}

}  // namespace
}  // namespace wsol

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--cases=", 8) == 0) wsol::cases_per_parser = std::atoi(argv[i] + 8);
  }
  return RUN_ALL_TESTS();
}
