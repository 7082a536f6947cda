// Images per second through ImageLoader (decode, transform, collate) for
//   - CUB-like photos: 500x375 JPEGs written by the benchmark, paper-profile transforms
//     (resize 256, random crop 224, flip);
//   - FMNIST-Loc PNGs (64x64), embedded-profile transforms (resize 72, crop 64);
// with 1 and 2 worker threads, plus JPEG decoding alone for reference.
//
//   bazel run -c opt //datasets:image_loader_benchmark
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "datasets/fmnist_loc/fmnist_loc.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "wsol/data/image_loader.h"
#include "wsol/data/image_transforms.h"
#include "wsol/metadata/metadata.h"
#include "wsol/util/rng.h"

namespace wsol::datasets {
namespace {

namespace fs = std::filesystem;

constexpr int kCubImages = 64;

// A scratch folder removed at exit.
struct ScratchDir {
  ScratchDir() {
    const char* tmp = std::getenv("TEST_TMPDIR");
    path = (fs::path(tmp != nullptr ? tmp : fs::temp_directory_path().string()) /
            ("wsol_loader_benchmark_" + std::to_string(::getpid())))
               .string();
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

const std::string& Scratch() {
  static ScratchDir dir;
  return dir.path;
}

// 500x375 JPEGs with photo-like content (smooth gradients, shapes, sensor noise), so the
// files are about as large and slow to decode as CUB's.
const metadata::SplitMetadata& CubLikeSplit() {
  static const metadata::SplitMetadata* split = [] {
    auto* s = new metadata::SplitMetadata;
    Rng rng(1);
    for (int i = 0; i < kCubImages; ++i) {
      cv::Mat image(375, 500, CV_8UC3);
      for (int y = 0; y < image.rows; ++y) {
        for (int x = 0; x < image.cols; ++x) {
          image.at<cv::Vec3b>(y, x) =
              cv::Vec3b(static_cast<uint8_t>(128 + 100 * std::sin(x * 0.01 + i)),
                        static_cast<uint8_t>(128 + 100 * std::cos(y * 0.013 + i)),
                        static_cast<uint8_t>((x + y + 7 * i) % 256));
        }
      }
      for (int k = 0; k < 12; ++k) {
        cv::ellipse(image,
                    cv::Point(static_cast<int>(rng.UniformInt(0, 499)),
                              static_cast<int>(rng.UniformInt(0, 374))),
                    cv::Size(static_cast<int>(rng.UniformInt(10, 120)),
                             static_cast<int>(rng.UniformInt(10, 80))),
                    rng.Uniform(0, 180), 0, 360,
                    cv::Scalar(static_cast<double>(rng.UniformInt(0, 255)),
                               static_cast<double>(rng.UniformInt(0, 255)),
                               static_cast<double>(rng.UniformInt(0, 255))),
                    cv::FILLED);
      }
      cv::Mat noise(image.size(), CV_8UC3);
      cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(12));
      image += noise;
      metadata::ImageRecord r;
      r.image_id = "cub/" + std::to_string(i) + ".jpg";
      r.labels = {i % 200};
      r.width = 500;
      r.height = 375;
      fs::create_directories(Scratch() + "/cub");
      cv::imwrite(Scratch() + "/" + r.image_id, image, {cv::IMWRITE_JPEG_QUALITY, 90});
      s->images.push_back(r);
    }
    return s;
  }();
  return *split;
}

double ProcessCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

// Reports images/s (wall clock) and images per CPU-second of the whole process, which
// stays meaningful on a machine shared with other work.
void RunEpochs(benchmark::State& state, const metadata::SplitMetadata& split,
               data::LoaderOptions options) {
  options.num_workers = static_cast<int>(state.range(0));
  auto loader = data::ImageLoader::Create(split, options);
  if (!loader.ok()) {
    state.SkipWithError(loader.status().ToString().c_str());
    return;
  }
  int epoch = 0;
  int64_t images = 0;
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    (*loader)->StartEpoch(epoch++);
    while (true) {
      absl::StatusOr<std::optional<data::Batch>> batch = (*loader)->Next();
      if (!batch.ok()) {
        state.SkipWithError(batch.status().ToString().c_str());
        return;
      }
      if (!batch->has_value()) break;
      images += (*batch)->size();
      benchmark::DoNotOptimize((*batch)->images.data_ptr());
    }
  }
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(images), benchmark::Counter::kIsRate);
  state.counters["images/cpu_s"] = images / (ProcessCpuSeconds() - cpu_start);
}

void BM_LoaderCubJpeg(benchmark::State& state) {
  data::LoaderOptions options;
  options.image_root = Scratch();
  options.transform.train = true;
  options.transform.resize_size = 256;
  options.transform.crop_size = 224;
  options.batch_size = 32;
  options.shuffle = true;
  RunEpochs(state, CubLikeSplit(), options);
}
BENCHMARK(BM_LoaderCubJpeg)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_LoaderFmnistLocPng(benchmark::State& state) {
  static const std::optional<metadata::SplitMetadata> split =
      []() -> std::optional<metadata::SplitMetadata> {
    FmnistLocOptions options;
    options.train_per_class = 30;
    options.val_per_class = 1;
    options.test_per_class = 1;
    const std::string root = Scratch() + "/fmnist_loc";
    if (!GenerateFmnistLoc(options, root).ok()) return std::nullopt;
    absl::StatusOr<metadata::SplitMetadata> train =
        metadata::ReadSplitMetadata(root + "/metadata/train");
    if (!train.ok()) return std::nullopt;
    return *train;
  }();
  if (!split) {
    state.SkipWithError("FMNIST-Loc could not be generated (dataset-fashion-mnist missing?)");
    return;
  }
  data::LoaderOptions options;
  options.image_root = Scratch() + "/fmnist_loc";
  options.transform.train = true;
  options.transform.resize_size = 72;
  options.transform.crop_size = 64;
  options.batch_size = 64;
  options.shuffle = true;
  RunEpochs(state, *split, options);
}
BENCHMARK(BM_LoaderFmnistLocPng)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// Decoding alone, one thread: the floor under the CUB numbers above.
void BM_DecodeCubJpeg(benchmark::State& state) {
  const metadata::SplitMetadata& split = CubLikeSplit();
  int i = 0;
  for (auto _ : state) {
    absl::StatusOr<cv::Mat> rgb =
        data::DecodeImage(Scratch() + "/" + split.images[i++ % kCubImages].image_id);
    benchmark::DoNotOptimize(rgb->data);
  }
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodeCubJpeg)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace wsol::datasets
