#include "datasets/fmnist_loc/fmnist_loc.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "datasets/fmnist_loc/idx.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "wsol/metadata/metadata.h"
#include "wsol/metrics/box.h"
#include "wsol/util/file_io.h"
#include "wsol/util/parallel_for.h"
#include "wsol/util/rng.h"
#include "wsol/util/status_macros.h"

namespace wsol::datasets {
namespace {

namespace fs = std::filesystem;

constexpr int kItemSide = 28;  // Fashion-MNIST images are 28x28.
constexpr double kPi = 3.14159265358979323846;
// Scaled intensities at or above this are fully opaque; below, the item fades out.
constexpr double kOpaqueIntensity = 2.0 * kFmnistLocInkThreshold;
// Items with fewer ink pixels (at 28x28) are too faint to localize and are not used.
constexpr int kMinInkPixels = 40;
// Random-stream tags, mixed into seeds so that streams never coincide.
constexpr uint64_t kPoolStream = 1;
constexpr uint64_t kImageStream = 2;

const char* const kSplitNames[] = {"train", "val", "test"};

// One Fashion-MNIST file pair.
struct ItemSet {
  int count = 0;
  std::vector<uint8_t> pixels;  // count x 28 x 28.
  std::vector<uint8_t> labels;
  const uint8_t* item(int i) const { return pixels.data() + static_cast<size_t>(i) * 28 * 28; }
};

absl::StatusOr<ItemSet> LoadItemSet(const std::string& dir, const std::string& prefix) {
  const std::string images_path = (fs::path(dir) / (prefix + "-images-idx3-ubyte.gz")).string();
  const std::string labels_path = (fs::path(dir) / (prefix + "-labels-idx1-ubyte.gz")).string();
  absl::StatusOr<IdxArray> images = ReadIdx(images_path);
  if (absl::IsNotFound(images.status())) {
    return absl::NotFoundError(
        absl::StrCat("Fashion-MNIST is not installed (", images_path,
                     " is missing); FMNIST-Loc is built from it. Run tools/setup.sh, or "
                     "`sudo apt-get install dataset-fashion-mnist`"));
  }
  if (!images.ok()) return images.status();
  WSOL_ASSIGN_OR_RETURN(IdxArray labels, ReadIdx(labels_path));
  if (images->dims.size() != 3 || images->dims[1] != kItemSide || images->dims[2] != kItemSide ||
      labels.dims.size() != 1 || labels.dims[0] != images->dims[0]) {
    return absl::DataLossError(absl::StrCat(images_path, " and ", labels_path,
                                            ": expected N x 28 x 28 images and N labels"));
  }
  ItemSet set;
  set.count = images->dims[0];
  set.pixels = std::move(images->data);
  set.labels = std::move(labels.data);
  for (uint8_t label : set.labels) {
    if (label >= kFmnistLocNumClasses) {
      return absl::DataLossError(absl::StrCat(labels_path, ": label ", label, " is not 0..9"));
    }
  }
  return set;
}

int InkPixels(const uint8_t* item) {
  return static_cast<int>(std::count_if(item, item + kItemSide * kItemSide,
                                        [](uint8_t v) { return v >= kFmnistLocInkThreshold; }));
}

// Per class, usable item indices of `set` in a fixed shuffled order (the same for every
// seed, so WSOL and pretraining sets can take disjoint ends of it).
std::vector<std::vector<int>> ShuffledPools(const ItemSet& set, uint64_t set_id) {
  constexpr uint64_t kPoolSeed = 2017;
  std::vector<std::vector<int>> pools(kFmnistLocNumClasses);
  for (int i = 0; i < set.count; ++i) {
    if (InkPixels(set.item(i)) >= kMinInkPixels) pools[set.labels[i]].push_back(i);
  }
  for (int c = 0; c < kFmnistLocNumClasses; ++c) {
    Rng rng(MixSeed({kPoolSeed, kPoolStream, set_id, static_cast<uint64_t>(c)}));
    rng.Shuffle(pools[c]);
  }
  return pools;
}

using Color = std::array<double, 3>;  // RGB in [0, 255].

double Luminance(const Color& c) { return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]; }

Color RandomColor(Rng& rng, int lo, int hi) {
  return {static_cast<double>(rng.UniformInt(lo, hi)), static_cast<double>(rng.UniformInt(lo, hi)),
          static_cast<double>(rng.UniformInt(lo, hi))};
}

// A colour whose luminance differs from `other` by at least `contrast` (tries a few).
Color ContrastingColor(Rng& rng, const Color& other, double contrast, int lo, int hi) {
  Color c = RandomColor(rng, lo, hi);
  for (int tries = 0; tries < 16 && std::abs(Luminance(c) - Luminance(other)) < contrast; ++tries) {
    c = RandomColor(rng, lo, hi);
  }
  return c;
}

// Texture family `family` (0..9) as a [0, 1] value per pixel; parameters drawn from rng.
std::vector<double> Texture(int family, int size, Rng& rng) {
  std::vector<double> t(static_cast<size_t>(size) * size);
  const double period = size * rng.Uniform(0.10, 0.20);
  const double phase = rng.Uniform(0.0, period);
  const double cx = rng.Uniform(0.0, size), cy = rng.Uniform(0.0, size);
  // Coarse random grid for the blob texture.
  constexpr int kGrid = 5;
  std::array<double, kGrid * kGrid> grid;
  for (double& g : grid) g = rng.Uniform01();
  auto wave = [&](double u) { return 0.5 + 0.5 * std::sin(2 * kPi * (u + phase) / period); };
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      double v = 0;
      switch (family) {
        case 0:  // Horizontal stripes.
          v = wave(y);
          break;
        case 1:  // Vertical stripes.
          v = wave(x);
          break;
        case 2:  // Diagonal stripes, rising.
          v = wave((x + y) / std::sqrt(2.0));
          break;
        case 3:  // Diagonal stripes, falling.
          v = wave((x - y) / std::sqrt(2.0));
          break;
        case 4: {  // Checkerboard.
          const int i = static_cast<int>(std::floor((x + phase) / period));
          const int j = static_cast<int>(std::floor((y + phase) / period));
          v = ((i + j) % 2 + 2) % 2;
          break;
        }
        case 5: {  // Dots on a square lattice.
          const double u = std::fmod(x + phase, period) - period / 2;
          const double w = std::fmod(y + phase, period) - period / 2;
          v = std::hypot(u, w) < period * 0.28 ? 1.0 : 0.0;
          break;
        }
        case 6:  // Concentric rings.
          v = wave(std::hypot(x - cx, y - cy));
          break;
        case 7: {  // Thin grid lines.
          const double u = std::fmod(x + phase, period), w = std::fmod(y + phase, period);
          v = (u < 1.5 || w < 1.5) ? 1.0 : 0.0;
          break;
        }
        case 8: {  // Smooth blobs: bilinear upsampling of a coarse random grid.
          const double gx = static_cast<double>(x) / size * (kGrid - 1);
          const double gy = static_cast<double>(y) / size * (kGrid - 1);
          const int i = std::min(static_cast<int>(gx), kGrid - 2);
          const int j = std::min(static_cast<int>(gy), kGrid - 2);
          const double fx = gx - i, fy = gy - j;
          const double g =
              (1 - fx) * (1 - fy) * grid[j * kGrid + i] + fx * (1 - fy) * grid[j * kGrid + i + 1] +
              (1 - fx) * fy * grid[(j + 1) * kGrid + i] + fx * fy * grid[(j + 1) * kGrid + i + 1];
          v = std::clamp((g - 0.5) * 4 + 0.5, 0.0, 1.0);
          break;
        }
        default:  // 9: zigzag waves.
          v = wave(y + period * 0.5 * std::sin(2 * kPi * x / (period * 1.5)));
          break;
      }
      t[static_cast<size_t>(y) * size + x] = v;
    }
  }
  return t;
}

// Draws `intensity` (side x side, 0..255) tinted at (x0, y0) over `canvas` (RGB doubles)
// and returns each covered canvas pixel's opacity in `alpha` (when given).
void Composite(const cv::Mat& intensity, int x0, int y0, const Color& tint,
               std::vector<Color>* canvas, int size, std::vector<double>* alpha) {
  for (int y = 0; y < intensity.rows; ++y) {
    for (int x = 0; x < intensity.cols; ++x) {
      const int cx = x0 + x, cy = y0 + y;
      if (cx < 0 || cy < 0 || cx >= size || cy >= size) continue;
      const double v = intensity.at<uint8_t>(y, x);
      const double a = std::min(1.0, v / kOpaqueIntensity);
      if (a <= 0) continue;
      const double shade = 0.45 + 0.55 * v / 255.0;
      Color& p = (*canvas)[static_cast<size_t>(cy) * size + cx];
      for (int k = 0; k < 3; ++k) p[k] = p[k] * (1 - a) + tint[k] * shade * a;
      if (alpha != nullptr) (*alpha)[static_cast<size_t>(cy) * size + cx] = a;
    }
  }
}

cv::Mat Scaled(const uint8_t* item, int side) {
  const cv::Mat source(kItemSide, kItemSide, CV_8UC1, const_cast<uint8_t*>(item));
  cv::Mat scaled;
  cv::resize(source, scaled, cv::Size(side, side), 0, 0,
             side >= kItemSide ? cv::INTER_LINEAR : cv::INTER_AREA);
  return scaled;
}

// A rendered image with its ground truth.
struct Rendered {
  cv::Mat bgr;                  // canvas x canvas, 8-bit BGR.
  std::vector<uint8_t> mask;    // 1 on the item.
  std::vector<uint8_t> ignore;  // 1 in the ignore band.
  metrics::Box box;
};

Rendered Render(const FmnistLocOptions& o, const ItemSet& set, int item, int label, Rng& rng) {
  const int size = o.canvas_size;
  std::vector<Color> canvas(static_cast<size_t>(size) * size);
  Color mean_background;
  if (o.pretraining) {
    // A plain canvas of a random colour with strong pixel noise: nothing tied to the class.
    const Color a = RandomColor(rng, 30, 225);
    for (size_t i = 0; i < canvas.size(); ++i) {
      const double noise = rng.Uniform(-20, 20);
      for (int k = 0; k < 3; ++k) canvas[i][k] = a[k] + noise;
    }
    mean_background = a;
  } else {
    // Background: the class's texture family, or with probability 1 - correlation another.
    int family = label;
    if (!rng.Bernoulli(o.background_correlation)) {
      family = static_cast<int>(rng.UniformInt(0, kFmnistLocNumClasses - 2));
      if (family >= label) ++family;
    }
    const Color a = RandomColor(rng, 30, 225);
    const Color b = ContrastingColor(rng, a, 40, 30, 225);
    const std::vector<double> texture = Texture(family, size, rng);
    for (size_t i = 0; i < canvas.size(); ++i) {
      const double noise = rng.Uniform(-6, 6);
      for (int k = 0; k < 3; ++k)
        canvas[i][k] = a[k] * (1 - texture[i]) + b[k] * texture[i] + noise;
    }
    mean_background = {(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2};
  }

  // Clutter: fragments of items of other classes, under the item (none for pretraining).
  for (int d = 0; d < (o.pretraining ? 0 : o.distractors); ++d) {
    int other = static_cast<int>(rng.UniformInt(0, set.count - 1));
    for (int tries = 0; tries < 64 && set.labels[other] == label; ++tries) {
      other = static_cast<int>(rng.UniformInt(0, set.count - 1));
    }
    const int side = static_cast<int>(rng.UniformInt(9, 15));
    int ox = 0, oy = 0;
    // A crop with some ink and some edge in it (a solid interior block is a poor fragment).
    for (int tries = 0; tries < 16; ++tries) {
      ox = static_cast<int>(rng.UniformInt(0, kItemSide - side));
      oy = static_cast<int>(rng.UniformInt(0, kItemSide - side));
      int ink = 0;
      for (int y = 0; y < side; ++y) {
        for (int x = 0; x < side; ++x) {
          ink += set.item(other)[(oy + y) * kItemSide + ox + x] >= kFmnistLocInkThreshold;
        }
      }
      if (ink >= side * side / 4 && ink <= side * side * 3 / 4) break;
    }
    const cv::Mat whole(kItemSide, kItemSide, CV_8UC1, const_cast<uint8_t*>(set.item(other)));
    const int out_side = std::max(
        4, std::min(size / 3, static_cast<int>(std::lround(side * rng.Uniform(0.8, 1.6)))));
    cv::Mat fragment;
    cv::resize(whole(cv::Rect(ox, oy, side, side)), fragment, cv::Size(out_side, out_side), 0, 0,
               cv::INTER_LINEAR);
    const int fx = static_cast<int>(rng.UniformInt(0, size - out_side));
    const int fy = static_cast<int>(rng.UniformInt(0, size - out_side));
    Composite(fragment, fx, fy, ContrastingColor(rng, mean_background, 50, 40, 255), &canvas, size,
              nullptr);
  }

  // The item.
  const int side = static_cast<int>(rng.UniformInt(o.min_item_size, o.max_item_size));
  const int x0 = static_cast<int>(rng.UniformInt(0, size - side));
  const int y0 = static_cast<int>(rng.UniformInt(0, size - side));
  const Color tint = ContrastingColor(rng, mean_background, 60, 40, 255);
  std::vector<double> alpha(canvas.size(), 0.0);
  const cv::Mat scaled = Scaled(set.item(item), side);
  Composite(scaled, x0, y0, tint, &canvas, size, &alpha);

  Rendered r;
  r.bgr = cv::Mat(size, size, CV_8UC3);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const Color& p = canvas[static_cast<size_t>(y) * size + x];
      auto byte = [](double v) {
        return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      };
      r.bgr.at<cv::Vec3b>(y, x) = cv::Vec3b(byte(p[2]), byte(p[1]), byte(p[0]));
    }
  }
  // Ground truth from the scaled intensities: ink pixels form the mask.
  r.mask.assign(canvas.size(), 0);
  for (int y = 0; y < side; ++y) {
    for (int x = 0; x < side; ++x) {
      if (scaled.at<uint8_t>(y, x) >= kFmnistLocInkThreshold) {
        r.mask[static_cast<size_t>(y0 + y) * size + x0 + x] = 1;
      }
    }
  }
  r.box = metrics::Box{size, size, -1, -1};
  r.ignore.assign(canvas.size(), 0);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const size_t i = static_cast<size_t>(y) * size + x;
      if (r.mask[i]) {
        r.box.x0 = std::min(r.box.x0, x);
        r.box.y0 = std::min(r.box.y0, y);
        r.box.x1 = std::max(r.box.x1, x);
        r.box.y1 = std::max(r.box.y1, y);
        continue;
      }
      // Faint item pixels, and background pixels touching the mask (8-neighbourhood).
      bool band = alpha[i] > 0;
      for (int dy = -1; dy <= 1 && !band; ++dy) {
        for (int dx = -1; dx <= 1 && !band; ++dx) {
          const int nx = x + dx, ny = y + dy;
          band = nx >= 0 && ny >= 0 && nx < size && ny < size &&
                 r.mask[static_cast<size_t>(ny) * size + nx];
        }
      }
      r.ignore[i] = band;
    }
  }
  return r;
}

absl::Status WriteMask(const std::vector<uint8_t>& on, int size, const std::string& path) {
  cv::Mat m(size, size, CV_8UC1);
  for (size_t i = 0; i < on.size(); ++i) m.data[i] = on[i] ? 255 : 0;
  if (!cv::imwrite(path, m))
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot write"));
  return absl::OkStatus();
}

std::string ClassFolder(int c) { return absl::StrFormat("%02d_%s", c, kFashionMnistClassNames[c]); }

std::string SettingsText(const FmnistLocOptions& o) {
  return absl::StrFormat(
      "version: %d\ncanvas_size: %d\nmin_item_size: %d\nmax_item_size: %d\n"
      "train_per_class: %d\nval_per_class: %d\ntest_per_class: %d\n"
      "background_correlation: %.9g\ndistractors: %d\nseed: %d\n%s",
      kFmnistLocVersion, o.canvas_size, o.min_item_size, o.max_item_size, o.train_per_class,
      o.val_per_class, o.test_per_class, o.background_correlation, o.distractors, o.seed,
      o.pretraining ? "style: PRETRAINING\n" : "");
}

// The double nearest to the shortest decimal that reads back as `value` (0.8f -> 0.8), so
// that a setting means the same whether it came from a spec (float) or a flag (double).
double ShortestDecimal(float value) {
  for (int digits = 1; digits <= 9; ++digits) {
    const std::string text = absl::StrFormat("%.*g", digits, value);
    const double parsed = std::strtod(text.c_str(), nullptr);
    if (static_cast<float>(parsed) == value) return parsed;
  }
  return value;
}

}  // namespace

FmnistLocOptions FmnistLocOptionsFromProto(const proto::FmnistLoc& settings) {
  FmnistLocOptions o;
  o.canvas_size = settings.canvas_size();
  o.min_item_size = settings.min_item_size();
  o.max_item_size = settings.max_item_size();
  o.train_per_class = settings.train_per_class();
  o.val_per_class = settings.val_per_class();
  o.test_per_class = settings.test_per_class();
  o.background_correlation = ShortestDecimal(settings.background_correlation());
  o.distractors = settings.distractors();
  o.seed = settings.seed();
  o.pretraining = settings.style() == proto::FmnistLoc::PRETRAINING;
  return o;
}

absl::Status ValidateFmnistLocOptions(const FmnistLocOptions& o) {
  auto bad = [](const std::string& field, double value, const std::string& expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("fmnist_loc.", field, " = ", value, ": expected ", expected));
  };
  if (o.canvas_size < 16) return bad("canvas_size", o.canvas_size, ">= 16");
  if (o.min_item_size < 8 || o.min_item_size > o.max_item_size) {
    return bad("min_item_size", o.min_item_size, "in [8, max_item_size]");
  }
  if (o.max_item_size > o.canvas_size)
    return bad("max_item_size", o.max_item_size, "<= canvas_size");
  if (o.train_per_class <= 0) return bad("train_per_class", o.train_per_class, "> 0");
  if (o.val_per_class <= 0) return bad("val_per_class", o.val_per_class, "> 0");
  if (o.test_per_class <= 0) return bad("test_per_class", o.test_per_class, "> 0");
  // Fashion-MNIST has 6000 training and 1000 test items per class, a few of them too faint.
  // A WSOL set takes the front kWsolTrainItems / kWsolTestItems of each class's list, a
  // pretraining set the rest.
  const int train_items = o.pretraining ? 5500 - kWsolTrainItems : kWsolTrainItems;
  const int test_items = o.pretraining ? 900 - kWsolTestItems : kWsolTestItems;
  // In 64 bits: two counts near INT_MAX must not wrap around to a small sum.
  const int64_t train_and_val = static_cast<int64_t>(o.train_per_class) + o.val_per_class;
  if (train_and_val > train_items) {
    return bad("train_per_class + val_per_class", train_and_val, absl::StrCat("<= ", train_items));
  }
  if (o.test_per_class > test_items) {
    return bad("test_per_class", o.test_per_class, absl::StrCat("<= ", test_items));
  }
  if (!(o.background_correlation >= 0 && o.background_correlation <= 1)) {
    return bad("background_correlation", o.background_correlation, "in [0, 1]");
  }
  if (o.distractors < 0) return bad("distractors", o.distractors, ">= 0");
  return absl::OkStatus();
}

std::string FmnistLocFingerprint(const FmnistLocOptions& options) {
  // FNV-1a, 64 bit, over the canonical settings text.
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : SettingsText(options)) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return absl::StrFormat("%016x", h);
}

absl::Status GenerateFmnistLoc(const FmnistLocOptions& o, const std::string& out_dir) {
  WSOL_RETURN_IF_ERROR(ValidateFmnistLocOptions(o));
  WSOL_ASSIGN_OR_RETURN(const ItemSet train_set, LoadItemSet(o.fashion_mnist_dir, "train"));
  WSOL_ASSIGN_OR_RETURN(const ItemSet test_set, LoadItemSet(o.fashion_mnist_dir, "t10k"));
  const std::vector<std::vector<int>> train_pools = ShuffledPools(train_set, 0);
  const std::vector<std::vector<int>> test_pools = ShuffledPools(test_set, 1);
  for (int c = 0; c < kFmnistLocNumClasses; ++c) {
    // A pretraining set needs the WSOL front of each list left free.
    const int reserved_train = o.pretraining ? kWsolTrainItems : 0;
    const int reserved_test = o.pretraining ? kWsolTestItems : 0;
    if (static_cast<int>(train_pools[c].size()) <
            reserved_train + o.train_per_class + o.val_per_class ||
        static_cast<int>(test_pools[c].size()) < reserved_test + o.test_per_class) {
      return absl::InvalidArgumentError(
          absl::StrCat("Fashion-MNIST in ", o.fashion_mnist_dir, " has ", train_pools[c].size(),
                       " training and ", test_pools[c].size(), " test items of class ", c,
                       ", fewer than fmnist_loc asks for"));
    }
  }
  const fs::path root(out_dir);
  const int per_class[] = {o.train_per_class, o.val_per_class, o.test_per_class};
  for (int s = 0; s < 3; ++s) {
    for (int c = 0; c < kFmnistLocNumClasses; ++c) {
      std::error_code ec;
      fs::create_directories(root / "images" / kSplitNames[s] / ClassFolder(c), ec);
      fs::create_directories(root / "masks" / kSplitNames[s] / ClassFolder(c), ec);
      if (ec)
        return absl::PermissionDeniedError(absl::StrCat("cannot create folders in ", out_dir));
    }
  }
  for (int s = 0; s < 3; ++s) {
    const ItemSet& set = s == 2 ? test_set : train_set;
    const std::vector<std::vector<int>>& pools = s == 2 ? test_pools : train_pools;
    // val follows train in the pool; a pretraining set counts from the back.
    const int offset = s == 1 ? o.train_per_class : 0;
    auto pool_index = [&](int c, int k) {
      const int position = offset + k;
      return o.pretraining ? pools[c][pools[c].size() - 1 - position] : pools[c][position];
    };
    const int n = per_class[s] * kFmnistLocNumClasses;
    std::vector<metadata::ImageRecord> records(n);
    std::vector<int> items(n);
    WSOL_RETURN_IF_ERROR(ParallelFor(n, ResolveThreads(o.threads), [&](int64_t i) -> absl::Status {
      const int c = static_cast<int>(i / per_class[s]);
      const int k = static_cast<int>(i % per_class[s]);
      Rng rng(MixSeed({o.seed, kImageStream, static_cast<uint64_t>(s), static_cast<uint64_t>(i)}));
      items[i] = pool_index(c, k);
      const Rendered r = Render(o, set, items[i], c, rng);
      if (r.box.x1 < 0) {  // Cannot happen for pool items (kMinInkPixels); kept as a guard.
        return absl::InternalError(absl::StrCat("item ", pool_index(c, k), " has no ink"));
      }
      const std::string stem = absl::StrFormat("%s/%s/%05d", kSplitNames[s], ClassFolder(c), k);
      metadata::ImageRecord& record = records[i];
      record.image_id = absl::StrCat("images/", stem, ".png");
      record.labels = {c};
      record.width = o.canvas_size;
      record.height = o.canvas_size;
      record.boxes = {r.box};
      record.mask_paths = {absl::StrCat("masks/", stem, ".png")};
      record.ignore_path = absl::StrCat("masks/", stem, "_ignore.png");
      if (!cv::imwrite((root / record.image_id).string(), r.bgr)) {
        return absl::PermissionDeniedError(
            absl::StrCat((root / record.image_id).string(), ": cannot write"));
      }
      WSOL_RETURN_IF_ERROR(
          WriteMask(r.mask, o.canvas_size, (root / record.mask_paths[0]).string()));
      return WriteMask(r.ignore, o.canvas_size, (root / record.ignore_path).string());
    }));
    metadata::SplitMetadata split;
    split.images = std::move(records);
    split.kind = metadata::LocalizationKind::kBoxes;
    WSOL_RETURN_IF_ERROR(metadata::WriteSplitMetadata(
        split, (root / kFmnistLocBoxMetadata / kSplitNames[s]).string()));
    split.kind = metadata::LocalizationKind::kMasks;
    WSOL_RETURN_IF_ERROR(metadata::WriteSplitMetadata(
        split, (root / kFmnistLocMaskMetadata / kSplitNames[s]).string()));
    // Which Fashion-MNIST item each image shows (its index in the IDX file).
    std::string item_lines;
    for (int i = 0; i < n; ++i) {
      absl::StrAppend(&item_lines, split.images[i].image_id, ",", items[i], "\n");
    }
    WSOL_RETURN_IF_ERROR(WriteFileAtomically(
        (root / absl::StrCat("items_", kSplitNames[s], ".txt")).string(), item_lines));
  }
  std::ofstream names(root / "class_names.txt", std::ios::trunc);
  for (const char* name : kFashionMnistClassNames) names << name << "\n";
  std::ofstream settings(root / "fmnist_loc.txt", std::ios::trunc);
  settings << "# FMNIST-Loc settings (datasets/fmnist_loc.h)\n" << SettingsText(o);
  if (!names || !settings)
    return absl::PermissionDeniedError(absl::StrCat("cannot write in ", out_dir));
  return absl::OkStatus();
}

absl::StatusOr<std::string> EnsureFmnistLoc(const FmnistLocOptions& options,
                                            const std::string& cache_root) {
  WSOL_RETURN_IF_ERROR(ValidateFmnistLocOptions(options));
  const std::string fingerprint = FmnistLocFingerprint(options);
  const fs::path parent = fs::path(cache_root) / "fmnist_loc";
  const fs::path final_dir = parent / fingerprint;
  if (fs::exists(final_dir / "fmnist_loc.txt")) return final_dir.string();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot create ", parent.string()));
  // A generation killed half-way left its folder: removed once its process has ended
  // (and an hour has passed, in case the cache is shared with another machine).
  RemoveStaleTemporaries(parent.string(), absl::Hours(1));
  // A name no other process uses: pid plus a per-call counter and the time.
  static std::atomic<uint64_t> calls{0};
  const fs::path tmp =
      parent / absl::StrFormat(".tmp-%s-%d-%d-%d", fingerprint, getpid(), calls++,
                               std::chrono::steady_clock::now().time_since_epoch().count());
  fs::remove_all(tmp, ec);
  absl::Status status = GenerateFmnistLoc(options, tmp.string());
  if (!status.ok()) {
    fs::remove_all(tmp, ec);
    return status;
  }
  fs::rename(tmp, final_dir, ec);
  if (ec) {
    // Another process finished first: keep its copy.
    fs::remove_all(tmp, ec);
    if (!fs::exists(final_dir / "fmnist_loc.txt")) {
      return absl::InternalError(
          absl::StrCat("cannot move ", tmp.string(), " to ", final_dir.string()));
    }
  }
  return final_dir.string();
}

absl::StatusOr<std::string> EnsureFmnistLoc(const proto::FmnistLoc& settings,
                                            const std::string& cache_root) {
  return EnsureFmnistLoc(FmnistLocOptionsFromProto(settings), cache_root);
}

absl::Status WriteFmnistLocPreview(const std::string& root, const std::string& split, int rows,
                                   const std::string& png_path) {
  WSOL_ASSIGN_OR_RETURN(
      const metadata::SplitMetadata metadata,
      metadata::ReadSplitMetadata((fs::path(root) / kFmnistLocMaskMetadata / split).string()));
  std::vector<std::vector<const metadata::ImageRecord*>> by_class(kFmnistLocNumClasses);
  for (const metadata::ImageRecord& r : metadata.images) {
    if (!r.labels.empty() && r.labels[0] >= 0 && r.labels[0] < kFmnistLocNumClasses &&
        static_cast<int>(by_class[r.labels[0]].size()) < rows) {
      by_class[r.labels[0]].push_back(&r);
    }
  }
  WSOL_ASSIGN_OR_RETURN(
      const metadata::SplitMetadata boxes,
      metadata::ReadSplitMetadata((fs::path(root) / kFmnistLocBoxMetadata / split).string()));
  const int canvas = metadata.images.empty() ? 64 : metadata.images[0].width;
  const int scale = std::max(1, 128 / canvas);
  const int tile = canvas * scale, gap = 4, header = 18;
  cv::Mat sheet(header + rows * (tile + gap), kFmnistLocNumClasses * (tile + gap), CV_8UC3,
                cv::Scalar(255, 255, 255));
  for (int c = 0; c < kFmnistLocNumClasses; ++c) {
    cv::putText(sheet, kFashionMnistClassNames[c], cv::Point(c * (tile + gap) + 2, header - 5),
                cv::FONT_HERSHEY_SIMPLEX, 0.35, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    for (int k = 0; k < static_cast<int>(by_class[c].size()); ++k) {
      const metadata::ImageRecord& r = *by_class[c][k];
      const cv::Mat image = cv::imread((fs::path(root) / r.image_id).string(), cv::IMREAD_COLOR);
      const cv::Mat mask =
          cv::imread((fs::path(root) / r.mask_paths[0]).string(), cv::IMREAD_GRAYSCALE);
      if (image.empty() || mask.empty()) {
        return absl::NotFoundError(absl::StrCat("cannot read ", r.image_id, " or its mask"));
      }
      cv::Mat big, big_mask;
      cv::resize(image, big, cv::Size(tile, tile), 0, 0, cv::INTER_NEAREST);
      cv::resize(mask, big_mask, cv::Size(tile, tile), 0, 0, cv::INTER_NEAREST);
      std::vector<std::vector<cv::Point>> contours;
      cv::findContours(big_mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
      cv::drawContours(big, contours, -1, cv::Scalar(0, 200, 0), 1);
      // The box of the same image from the box metadata (same order in both folders).
      const metrics::Box& b = boxes.images[&r - metadata.images.data()].boxes.at(0);
      cv::rectangle(big, cv::Point(b.x0 * scale, b.y0 * scale),
                    cv::Point((b.x1 + 1) * scale - 1, (b.y1 + 1) * scale - 1),
                    cv::Scalar(0, 0, 255), 1);
      big.copyTo(sheet(cv::Rect(c * (tile + gap), header + k * (tile + gap), tile, tile)));
    }
  }
  std::error_code ec;
  if (fs::path(png_path).has_parent_path())
    fs::create_directories(fs::path(png_path).parent_path(), ec);
  std::vector<uchar> png;
  if (!cv::imencode(".png", sheet, png)) {
    return absl::InternalError(absl::StrCat(png_path, ": cannot encode the preview as PNG"));
  }
  return WriteFileAtomically(
      png_path, absl::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

}  // namespace wsol::datasets
