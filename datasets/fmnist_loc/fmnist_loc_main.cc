// bazel run //datasets:prepare_fmnist_loc -- --out=DIR [--preview]
//
// Builds the embedded FMNIST-Loc dataset from Debian's Fashion-MNIST files into --out
// (the trainer builds the same data lazily into its cache; see datasets/fmnist_loc.h).
// --preview also writes <out>/preview.png, a contact sheet with boxes and mask outlines.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "datasets/fmnist_loc/fmnist_loc.h"
#include "wsol/util/command_line.h"
#include "wsol/util/paths.h"

ABSL_FLAG(std::string, out, "", "Output folder.");
ABSL_FLAG(bool, preview, false, "Also write <out>/preview.png (test split, boxes drawn).");
ABSL_FLAG(int, preview_rows, 6, "Images per class in the preview.");
ABSL_FLAG(std::string, fashion_mnist_dir, wsol::datasets::kFashionMnistDir,
          "Folder with Fashion-MNIST's IDX .gz files.");
ABSL_FLAG(int, canvas_size, 64, "Image side in pixels.");
ABSL_FLAG(int, min_item_size, 24, "Smallest side of the scaled item frame.");
ABSL_FLAG(int, max_item_size, 56, "Largest side of the scaled item frame.");
ABSL_FLAG(int, train_per_class, 100, "Training images per class.");
ABSL_FLAG(int, val_per_class, 20, "Validation images per class.");
ABSL_FLAG(int, test_per_class, 50, "Test images per class.");
ABSL_FLAG(double, background_correlation, 0.8,
          "Probability that the background texture is the one tied to the class.");
ABSL_FLAG(int, distractors, 2, "Clutter fragments of other items per image.");
ABSL_FLAG(uint64_t, seed, 17, "Seed; the data is a function of the settings.");
ABSL_FLAG(int, threads, 0, "Threads; 0: one per hardware thread (output is the same).");

int main(int argc, char** argv) {
  wsol::ParseCommandLineOrExit(argc, argv, "prepare_fmnist_loc --out=DIR [--preview] [settings]");
  std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    std::cerr << "--out is required\n";
    return 2;
  }
  out = wsol::FromInvocationDir(out);
  wsol::datasets::FmnistLocOptions options;
  options.fashion_mnist_dir = wsol::FromInvocationDir(absl::GetFlag(FLAGS_fashion_mnist_dir));
  options.canvas_size = absl::GetFlag(FLAGS_canvas_size);
  options.min_item_size = absl::GetFlag(FLAGS_min_item_size);
  options.max_item_size = absl::GetFlag(FLAGS_max_item_size);
  options.train_per_class = absl::GetFlag(FLAGS_train_per_class);
  options.val_per_class = absl::GetFlag(FLAGS_val_per_class);
  options.test_per_class = absl::GetFlag(FLAGS_test_per_class);
  options.background_correlation = absl::GetFlag(FLAGS_background_correlation);
  options.distractors = absl::GetFlag(FLAGS_distractors);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.threads = absl::GetFlag(FLAGS_threads);

  const auto start = std::chrono::steady_clock::now();
  if (absl::Status status = wsol::datasets::GenerateFmnistLoc(options, out); !status.ok()) {
    std::cerr << "prepare_fmnist_loc failed: " << status << "\n";
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int images = (options.train_per_class + options.val_per_class + options.test_per_class) *
                     wsol::datasets::kFmnistLocNumClasses;
  std::cout << "FMNIST-Loc: " << images << " images in " << out << " (" << seconds << " s, "
            << "fingerprint " << wsol::datasets::FmnistLocFingerprint(options) << ")\n";
  if (absl::GetFlag(FLAGS_preview)) {
    const std::string preview = (std::filesystem::path(out) / "preview.png").string();
    if (absl::Status status = wsol::datasets::WriteFmnistLocPreview(
            out, "test", absl::GetFlag(FLAGS_preview_rows), preview);
        !status.ok()) {
      std::cerr << "preview failed: " << status << "\n";
      return 1;
    }
    std::cout << "preview: " << preview << "\n";
  }
  return 0;
}
