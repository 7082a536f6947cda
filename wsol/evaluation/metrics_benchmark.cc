// Per-image cost of the localization metrics on 224 x 224 CAM-like score maps (the box and
// mask parity sets of parity_fixture.h, the same maps tools/wsolevaluation_reference.py
// times wsolevaluation's Python evaluators on), single thread:
//   MaxBoxAccV2 accumulate (every contour, IoU 30/50/70) at curve intervals 0.001 and 0.01;
//   MaxBoxAcc accumulate (largest contour, IoU 50) at 0.01;
//   PxAP accumulate at 0.01 and 0.001, with the mask PNGs read and resized per image as
//   their MaskEvaluator does (and without, the histogram alone);
// and whole-folder evaluation (.npy reading included) with 1 and 2 threads.
//
//   bazel run //wsol/evaluation:metrics_benchmark
//   tools/regenerate_metric_goldens.sh WSOLEVALUATION_CHECKOUT --time   # theirs
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "wsol/evaluation/evaluate_folder.h"
#include "wsol/evaluation/parity_fixture.h"
#include "wsol/metrics/box.h"
#include "wsol/metrics/box_accuracy.h"
#include "wsol/metrics/iou.h"
#include "wsol/metrics/pxap.h"

namespace wsol::evaluation {

using metrics::Box;
using metrics::BoxAccuracy;
using metrics::LoadGtMask;
using metrics::Pxap;
using metrics::RescaleBox;
namespace {

namespace fs = std::filesystem;

// The parity sets on disk, written once, removed at exit.
struct Fixture {
  Fixture() {
    const char* tmp = std::getenv("TEST_TMPDIR");
    root = (fs::path(tmp != nullptr ? tmp : fs::temp_directory_path().string()) /
            ("wsol_metrics_benchmark_" + std::to_string(::getpid())))
               .string();
    boxes = BoxFixture();
    masks = MaskFixture();
    ok = WriteFixture(boxes, metadata::LocalizationKind::kBoxes, root + "/boxes").ok() &&
         WriteFixture(masks, metadata::LocalizationKind::kMasks, root + "/masks").ok();
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  std::string root;
  std::vector<FixtureImage> boxes;
  std::vector<FixtureImage> masks;
  bool ok = false;
};

const Fixture& Data() {
  static Fixture fixture;
  return fixture;
}

std::vector<Box> EvalBoxes(const metadata::ImageRecord& r) {
  std::vector<Box> out;
  for (const Box& b : r.boxes) {
    out.push_back(RescaleBox(b, {r.width, r.height}, {kFixtureEvalSize, kFixtureEvalSize}));
  }
  return out;
}

// Whether parity image `index` is CAM-like (kinds 0-4 of parity_fixture.cc), not a ring,
// a noisy map with many contours or a degenerate map.
bool CamLike(size_t index) { return index % 8 < 5; }

// Arguments: curve interval in thousandths, multi-contour (0/1), CAM-like maps only (0/1).
void BM_BoxAccuracyAccumulate(benchmark::State& state) {
  const Fixture& data = Data();
  const bool multi = state.range(1) != 0;
  const bool cam_like_only = state.range(2) != 0;
  absl::StatusOr<BoxAccuracy> acc = BoxAccuracy::Create(
      {.cam_curve_interval = state.range(0) / 1000.0,
       .iou_thresholds = multi ? std::vector<int>{30, 50, 70} : std::vector<int>{50},
       .multi_contour = multi});
  if (!data.ok || !acc.ok()) {
    state.SkipWithError("fixture or accumulator failed");
    return;
  }
  std::vector<const cv::Mat*> maps;
  std::vector<std::vector<Box>> gt;
  for (size_t k = 0; k < data.boxes.size(); ++k) {
    if (cam_like_only && !CamLike(k)) continue;
    maps.push_back(&data.boxes[k].scoremap);
    gt.push_back(EvalBoxes(data.boxes[k].record));
  }
  size_t i = 0;
  for (auto _ : state) {
    if (!acc->Add(*maps[i], gt[i]).ok()) {
      state.SkipWithError("Add failed");
      return;
    }
    i = (i + 1) % maps.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(absl::StrCat(
      multi ? "MaxBoxAccV2 (every contour, IoU 30/50/70)" : "MaxBoxAcc (largest contour, IoU 50)",
      cam_like_only ? ", CAM-like maps" : ", all maps"));
}
BENCHMARK(BM_BoxAccuracyAccumulate)
    ->ArgNames({"interval_x1000", "multi", "cam_like"})
    ->Args({1, 1, 1})
    ->Args({10, 1, 1})
    ->Args({10, 0, 1})
    ->Args({1, 1, 0})
    ->Args({10, 1, 0})
    ->Args({10, 0, 0})
    ->Unit(benchmark::kMicrosecond);

// Arguments: curve interval in thousandths, masks read from PNG per image (0/1).
void BM_PxapAccumulate(benchmark::State& state) {
  const Fixture& data = Data();
  const bool read_masks = state.range(1) != 0;
  absl::StatusOr<Pxap> pxap = Pxap::Create({.cam_curve_interval = state.range(0) / 1000.0});
  if (!data.ok || !pxap.ok()) {
    state.SkipWithError("fixture or accumulator failed");
    return;
  }
  const std::string mask_root = data.root + "/masks/masks";
  const cv::Size size(kFixtureEvalSize, kFixtureEvalSize);
  std::vector<cv::Mat> preloaded;
  for (const FixtureImage& image : data.masks) {
    absl::StatusOr<cv::Mat> mask =
        LoadGtMask(mask_root, image.record.mask_paths, image.record.ignore_path, size);
    if (!mask.ok()) {
      state.SkipWithError("LoadGtMask failed");
      return;
    }
    preloaded.push_back(*mask);
  }
  size_t i = 0;
  for (auto _ : state) {
    const metadata::ImageRecord& r = data.masks[i].record;
    absl::StatusOr<cv::Mat> mask =
        read_masks ? LoadGtMask(mask_root, r.mask_paths, r.ignore_path, size) : preloaded[i];
    if (!mask.ok() || !pxap->Add(data.masks[i].scoremap, *mask).ok()) {
      state.SkipWithError("Add failed");
      return;
    }
    i = (i + 1) % data.masks.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(read_masks ? "PxAP, mask PNGs read per image" : "PxAP, masks in memory");
}
BENCHMARK(BM_PxapAccumulate)
    ->ArgNames({"interval_x1000", "read_masks"})
    ->Args({10, 1})
    ->Args({1, 1})
    ->Args({10, 0})
    ->Args({1, 0})
    ->Unit(benchmark::kMicrosecond);

// Whole box folder at interval 0.001, every contour; argument: threads. Real time, since
// the work runs on worker threads.
void BM_EvaluateBoxFolder(benchmark::State& state) {
  const Fixture& data = Data();
  if (!data.ok) {
    state.SkipWithError("fixture failed");
    return;
  }
  for (auto _ : state) {
    absl::StatusOr<EvaluationReport> report =
        EvaluateFolder({.metadata = data.root + "/boxes/metadata",
                        .scoremaps = data.root + "/boxes/scoremaps",
                        .cam_curve_interval = 0.001,
                        .threads = static_cast<int>(state.range(0))});
    if (!report.ok()) {
      state.SkipWithError("EvaluateFolder failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * data.boxes.size());
}
BENCHMARK(BM_EvaluateBoxFolder)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace wsol::evaluation
