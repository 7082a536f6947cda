// bazel run //datasets:prepare -- --dataset=CUB --source=DIR --out=DIR
//
// Turns a dataset in its official layout into wsolevaluation-format metadata (and masks),
// then prints the `dataset { ... }` block to paste into an experiment spec.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_join.h"
#include "datasets/prepare/prepare.h"
#include "wsol/util/command_line.h"
#include "wsol/util/paths.h"

ABSL_FLAG(std::string, dataset, "", "Dataset name: CUB, ILSVRC, OpenImages, Oxford or VOC.");
ABSL_FLAG(std::string, source, "", "The dataset's folder in its official layout.");
ABSL_FLAG(std::string, out, "", "Output folder for metadata/ and masks/.");
ABSL_FLAG(std::string, wsol_metadata, "",
          "Optional: wsolevaluation's metadata/<DATASET> folder to import splits from.");
ABSL_FLAG(int, val_per_class, 5,
          "Images per class carved from the training images for a validation split, where the "
          "dataset has none of its own.");
ABSL_FLAG(bool, skip_bad_images, false,
          "Skip (and list) unreadable or inconsistent images instead of stopping.");
ABSL_FLAG(int, threads, 0, "Worker threads; 0: one per hardware thread.");

namespace {}  // namespace

int main(int argc, char** argv) {
  wsol::ParseCommandLineOrExit(
      argc, argv,
      "prepare --dataset=NAME --source=DIR --out=DIR [--wsol_metadata=DIR]\n"
      "Writes wsolevaluation-format metadata (and masks) for a real dataset.");
  wsol::datasets::PrepareOptions options;
  options.source = wsol::FromInvocationDir(absl::GetFlag(FLAGS_source));
  options.out = wsol::FromInvocationDir(absl::GetFlag(FLAGS_out));
  options.wsol_metadata = wsol::FromInvocationDir(absl::GetFlag(FLAGS_wsol_metadata));
  options.val_per_class = absl::GetFlag(FLAGS_val_per_class);
  options.skip_bad_images = absl::GetFlag(FLAGS_skip_bad_images);
  options.threads = absl::GetFlag(FLAGS_threads);
  if (absl::GetFlag(FLAGS_dataset).empty() || options.source.empty() || options.out.empty()) {
    std::cerr << "--dataset, --source and --out are required; datasets: "
              << absl::StrJoin(wsol::datasets::PreparerNames(), ", ") << "\n";
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  options.progress = [start](const std::string& stage, int64_t done, int64_t total) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = done / std::max(seconds, 1e-9);
    std::fprintf(stderr, "\r%s: %lld/%lld (%.0f/s, ETA %.0fs)   ", stage.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total), rate,
                 (total - done) / std::max(rate, 1e-9));
    if (done == total) std::fprintf(stderr, "\n");
  };
  absl::StatusOr<wsol::datasets::PrepareResult> result =
      wsol::datasets::PrepareDataset(absl::GetFlag(FLAGS_dataset), options);
  if (!result.ok()) {
    std::cerr << "\nprepare failed: " << result.status() << "\n";
    return 1;
  }
  std::cout << result->dataset << ": " << result->num_classes << " classes";
  for (const auto& [split, count] : result->split_sizes) std::cout << ", " << split << " " << count;
  std::cout << ", " << result->masks_written << " masks written\n";
  for (const std::string& note : result->notes) std::cout << "  note: " << note << "\n";
  std::cout << "\nExperiment spec block:\n" << result->dataset_spec;
  return 0;
}
