// fmnist_loc.h
//
// FMNIST-Loc, the embedded WSOL benchmark: built from the Fashion-MNIST files that
// Debian's dataset-fashion-mnist installs, so every test and table runs with no download.
//
// Each image is a square canvas with a textured background and one Fashion-MNIST item,
// scaled and placed at random, over a few clutter fragments cut from items of other
// classes. The background texture is tied to the class with probability
// `background_correlation` (texture family c for class c, else one of the others): a
// classifier can lean on context, so CAMs spill onto the background as they do on real
// data (snowboard-snow), and localization is not trivial.
// Ground truth: the item's pixels are those whose Fashion-MNIST intensity, after scaling,
// is at least kFmnistLocInkThreshold; the mask is those pixels, the box their tight box,
// and the ignore mask a one-pixel band around the mask plus the item's fainter pixels.
//
// Layout of a generated root:
//   images/<split>/<cc>_<class>/<nnnnn>.png          RGB images
//   masks/<split>/<cc>_<class>/<nnnnn>.png           item mask (0/255)
//   masks/<split>/<cc>_<class>/<nnnnn>_ignore.png    ignore band (0/255)
//   metadata/<split>/...        wsolevaluation metadata with one box per image
//   metadata_masks/<split>/...  the same images with mask lines (mask root = the root)
//   class_names.txt, fmnist_loc.txt (the settings it was built from)
//   items_<split>.txt  "<image id>,<index of its item in Fashion-MNIST's IDX file>"
// Splits: train and val draw distinct items from Fashion-MNIST's training set, test from
// its test set; every split has the same number of images per class, grouped by class.
// Items are taken from a per-class list in a fixed order: a WSOL set from its front
// (train and val among the first kWsolTrainItems, test among the first kWsolTestItems), a
// PRETRAINING set from its back, so the two never share an item whatever their seeds.
// Everything is a pure function of the settings (fixed-algorithm RNG, per-image streams),
// whatever the thread count.
//
//   absl::StatusOr<std::string> root =
//       wsol::datasets::EnsureFmnistLoc(spec.dataset().fmnist_loc(), "wsol_cache");
//   // *root/metadata/train, *root/metadata_masks/test, ...
#ifndef DATASETS_FMNIST_LOC_FMNIST_LOC_H_
#define DATASETS_FMNIST_LOC_FMNIST_LOC_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wsol/proto/dataset.pb.h"

namespace wsol::datasets {

// Where Debian's dataset-fashion-mnist puts the IDX files.
inline constexpr char kFashionMnistDir[] = "/usr/share/datasets/fashion-mnist";

// Bumped whenever the generator's output changes for the same settings, so caches built
// by an older generator are not reused.
inline constexpr int kFmnistLocVersion = 2;

// Items per class a WSOL set may draw from the front of the training and test lists; a
// pretraining set draws from the rest.
inline constexpr int kWsolTrainItems = 3000;
inline constexpr int kWsolTestItems = 500;

inline constexpr int kFmnistLocNumClasses = 10;

// Fashion-MNIST's classes in label order (Xiao et al., 2017), as folder-safe names.
inline constexpr std::array<const char*, kFmnistLocNumClasses> kFashionMnistClassNames = {
    "t_shirt_top", "trouser", "pullover", "dress", "coat",
    "sandal",      "shirt",   "sneaker",  "bag",   "ankle_boot"};

// A scaled Fashion-MNIST pixel belongs to the item from this intensity (of 255) on.
inline constexpr int kFmnistLocInkThreshold = 20;

// Sub-folders of a generated root.
inline constexpr char kFmnistLocBoxMetadata[] = "metadata";
inline constexpr char kFmnistLocMaskMetadata[] = "metadata_masks";

struct FmnistLocOptions {
  // Folder with {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz.
  std::string fashion_mnist_dir = kFashionMnistDir;
  int canvas_size = 64;
  int min_item_size = 24;  // Side of the scaled 28x28 Fashion-MNIST frame, in pixels.
  int max_item_size = 56;
  int train_per_class = 100;
  int val_per_class = 20;
  int test_per_class = 50;
  double background_correlation = 0.8;
  int distractors = 2;
  uint64_t seed = 17;
  // The PRETRAINING style (see proto::FmnistLoc::Style) instead of the WSOL benchmark.
  bool pretraining = false;
  // Threads for rendering and writing; 0: one per hardware thread. Output does not
  // depend on it.
  int threads = 0;
};

// FmnistLocOptionsFromProto copies the spec's settings (defaults included).
FmnistLocOptions FmnistLocOptionsFromProto(const proto::FmnistLoc& settings);

// ValidateFmnistLocOptions checks ranges; messages name the field.
absl::Status ValidateFmnistLocOptions(const FmnistLocOptions& options);

// FmnistLocFingerprint is a hex digest of every setting that changes the data (not the
// source folder or thread count) and kFmnistLocVersion: the cache folder name.
std::string FmnistLocFingerprint(const FmnistLocOptions& options);

// GenerateFmnistLoc builds the dataset into `out_dir` (created; existing files with the
// same names are overwritten). Without the Fashion-MNIST files it fails with NotFound
// and the install hint (tools/setup.sh, apt-get install dataset-fashion-mnist).
absl::Status GenerateFmnistLoc(const FmnistLocOptions& options, const std::string& out_dir);

// EnsureFmnistLoc returns <cache_root>/fmnist_loc/<fingerprint>, generating it first if
// it is not there. Generation goes to a temporary folder that is renamed into place, so
// concurrent callers (sharded runs) and killed runs never leave or see a partial dataset.
absl::StatusOr<std::string> EnsureFmnistLoc(const FmnistLocOptions& options,
                                            const std::string& cache_root);
absl::StatusOr<std::string> EnsureFmnistLoc(const proto::FmnistLoc& settings,
                                            const std::string& cache_root);

// WriteFmnistLocPreview writes a contact sheet of `split` as a PNG: one column per
// class, `rows` images each, enlarged, with the GT box in red and the mask outline in
// green, for a person to look at the data.
absl::Status WriteFmnistLocPreview(const std::string& root, const std::string& split, int rows,
                                   const std::string& png_path);

}  // namespace wsol::datasets

#endif  // DATASETS_FMNIST_LOC_FMNIST_LOC_H_
