#include "wsol/evaluation/parity_fixture.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "opencv2/imgcodecs.hpp"
#include "wsol/metrics/npy.h"

namespace wsol::evaluation {

using metrics::WriteNpy;
namespace {

// SplitMix64: a tiny generator whose output is fixed by its definition, so the fixture
// is the same on every platform and standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // An integer in [lo, hi].
  int Int(int lo, int hi) {
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }

 private:
  uint64_t state_;
};

struct Bump {
  int cx, cy, rx, ry;
  int64_t height;
};

// An integer field: the sum over bumps of height * (1 - d^2) inside each ellipse
// (integer division), plus noise in [0, noise] hashed from the pixel.
std::vector<int64_t> Field(const std::vector<Bump>& bumps, int noise, uint64_t noise_seed) {
  const int n = kFixtureEvalSize;
  std::vector<int64_t> field(static_cast<size_t>(n) * n, 0);
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      int64_t v = 0;
      for (const Bump& b : bumps) {
        const int64_t dx = x - b.cx, dy = y - b.cy;
        const int64_t rx2 = int64_t{b.rx} * b.rx, ry2 = int64_t{b.ry} * b.ry;
        const int64_t scale = rx2 * ry2;
        const int64_t distance = dx * dx * ry2 + dy * dy * rx2;
        if (distance < scale) v += b.height * (scale - distance) / scale;
      }
      if (noise > 0) {
        Rng pixel(noise_seed ^ (static_cast<uint64_t>(y) << 20) ^ static_cast<uint64_t>(x));
        v += static_cast<int64_t>(pixel.Next() % static_cast<uint64_t>(noise + 1));
      }
      field[static_cast<size_t>(y) * n + x] = v;
    }
  }
  return field;
}

// field / max(field) * peak (one division, one product), as float32 or float64.
cv::Mat Normalized(const std::vector<int64_t>& field, double peak, bool float32) {
  const int n = kFixtureEvalSize;
  const int64_t top = *std::max_element(field.begin(), field.end());
  cv::Mat map(n, n, float32 ? CV_32FC1 : CV_64FC1);
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      const int64_t v = field[static_cast<size_t>(y) * n + x];
      const double value =
          top == 0 ? 0.0 : static_cast<double>(v) / static_cast<double>(top) * peak;
      if (float32) {
        map.at<float>(y, x) = static_cast<float>(value);
      } else {
        map.at<double>(y, x) = value;
      }
    }
  }
  return map;
}

cv::Mat Constant(double value, bool float32) {
  const int n = kFixtureEvalSize;
  return cv::Mat(n, n, float32 ? CV_32FC1 : CV_64FC1, cv::Scalar(value));
}

Bump RandomBump(Rng& rng, int min_radius, int max_radius) {
  return Bump{rng.Int(0, kFixtureEvalSize - 1), rng.Int(0, kFixtureEvalSize - 1),
              rng.Int(min_radius, max_radius), rng.Int(min_radius, max_radius), rng.Int(200, 1000)};
}

// A score map of kind `kind` (see the file comment) around `bumps`, with extra random
// bumps and noise drawn from `rng`.
cv::Mat ScoreMap(int kind, std::vector<Bump> bumps, Rng& rng, bool float32) {
  const uint64_t noise_seed = rng.Next();
  switch (kind) {
    case 5: {
      // A ring: a wide flat-topped bump minus a narrower one leaves a hole in the middle.
      const Bump outer = bumps.front();
      std::vector<int64_t> field = Field({outer}, 0, 0);
      Bump inner = outer;
      inner.rx = std::max(3, outer.rx / 2);
      inner.ry = std::max(3, outer.ry / 2);
      inner.height = outer.height;
      const std::vector<int64_t> hole = Field({inner}, 0, 0);
      const std::vector<int64_t> extra =
          Field({RandomBump(rng, 6, 30)}, rng.Int(0, 40), noise_seed);
      for (size_t i = 0; i < field.size(); ++i) {
        field[i] = std::max<int64_t>(0, field[i] - 2 * hole[i]) + extra[i];
      }
      return Normalized(field, 1.0, float32);
    }
    case 6: {
      // Noisy: many small bumps and strong noise, hence many contours at most levels.
      for (int k = 0; k < 12; ++k) bumps.push_back(RandomBump(rng, 3, 20));
      return Normalized(Field(bumps, rng.Int(150, 400), noise_seed), 1.0, float32);
    }
    case 7: {
      switch (rng.Int(0, 5)) {
        case 0:
          return Constant(0.0, float32);
        case 1:
          return Constant(0.5, float32);
        case 2:
          return Constant(1.0, float32);
        case 3:
          return Normalized(Field(bumps, 10, noise_seed), 0.002, float32);  // Max < 1/255.
        case 4: {
          // A single hot pixel.
          cv::Mat map = Constant(0.0, float32);
          const int x = rng.Int(0, kFixtureEvalSize - 1), y = rng.Int(0, kFixtureEvalSize - 1);
          if (float32) {
            map.at<float>(y, x) = 1.0f;
          } else {
            map.at<double>(y, x) = 1.0;
          }
          return map;
        }
        default: {
          // Peak in a corner, touching two borders.
          Bump corner{kFixtureEvalSize - 1, kFixtureEvalSize - 1, rng.Int(20, 90), rng.Int(20, 90),
                      900};
          bumps.push_back(corner);
          return Normalized(Field(bumps, rng.Int(0, 30), noise_seed), 1.0, float32);
        }
      }
    }
    default: {
      // CAM-like: the object's bump, up to three distractors, mild noise; some maps peak
      // below 1 (not normalized after thresholding, as a raw CAM might be).
      const int distractors = rng.Int(0, 3);
      for (int k = 0; k < distractors; ++k) bumps.push_back(RandomBump(rng, 8, 60));
      const double peak = kind == 4 ? 0.6 + 0.1 * rng.Int(0, 3) : 1.0;
      return Normalized(Field(bumps, rng.Int(0, 60), noise_seed), peak, float32);
    }
  }
}

// A 224-pixel coordinate scaled to an original size (integer arithmetic).
int ToOriginal(int v, int size) { return std::clamp(v * size / kFixtureEvalSize, 0, size - 1); }

// Fills an ellipse of `value` (integer inside test) into `mask`.
void FillEllipse(cv::Mat& mask, int cx, int cy, int rx, int ry, uint8_t value) {
  const int64_t rx2 = int64_t{rx} * rx, ry2 = int64_t{ry} * ry;
  for (int y = 0; y < mask.rows; ++y) {
    for (int x = 0; x < mask.cols; ++x) {
      const int64_t dx = x - cx, dy = y - cy;
      if (dx * dx * ry2 + dy * dy * rx2 <= rx2 * ry2) mask.at<uint8_t>(y, x) = value;
    }
  }
}

std::string ImageId(const char* prefix, int i) {
  return absl::StrFormat("%s%02d/img_%03d.jpg", prefix, i % 4, i);
}

}  // namespace

std::vector<FixtureImage> BoxFixture(int count, uint64_t seed) {
  Rng rng(seed);
  std::vector<FixtureImage> images;
  for (int i = 0; i < count; ++i) {
    FixtureImage image;
    metadata::ImageRecord& r = image.record;
    r.image_id = ImageId("c", i);
    r.labels = {rng.Int(0, 4)};
    r.width = rng.Int(60, 640);
    r.height = rng.Int(60, 640);
    const Bump object = RandomBump(rng, 10, 100);
    // The object's box: the bump's extent with jitter, in original pixels.
    const auto jitter = [&] { return rng.Int(-12, 12); };
    metrics::Box box{ToOriginal(object.cx - object.rx + jitter(), r.width),
                     ToOriginal(object.cy - object.ry + jitter(), r.height),
                     ToOriginal(object.cx + object.rx + jitter(), r.width),
                     ToOriginal(object.cy + object.ry + jitter(), r.height)};
    if (box.x0 > box.x1) std::swap(box.x0, box.x1);
    if (box.y0 > box.y1) std::swap(box.y0, box.y1);
    r.boxes.push_back(box);
    for (int extra = rng.Int(0, 2); extra > 0; --extra) {
      const int x0 = rng.Int(0, r.width - 1), y0 = rng.Int(0, r.height - 1);
      r.boxes.push_back({x0, y0, rng.Int(x0, r.width - 1), rng.Int(y0, r.height - 1)});
    }
    image.scoremap = ScoreMap(i % 8, {object}, rng, /*float32=*/i % 2 == 0);
    images.push_back(std::move(image));
  }
  return images;
}

std::vector<FixtureImage> MaskFixture(int count, uint64_t seed) {
  Rng rng(seed);
  std::vector<FixtureImage> images;
  for (int i = 0; i < count; ++i) {
    FixtureImage image;
    metadata::ImageRecord& r = image.record;
    r.image_id = ImageId("m", i);
    r.labels = {rng.Int(0, 4)};
    const int width = rng.Int(60, 640), height = rng.Int(60, 640);
    std::vector<Bump> bumps;
    const int instances = rng.Int(1, 3);
    for (int k = 0; k < instances; ++k) {
      const Bump object = RandomBump(rng, 10, 80);
      bumps.push_back(object);
      cv::Mat mask = cv::Mat::zeros(height, width, CV_8UC1);
      // Instance values vary: 255, a faint 3 (still foreground: non-zero) or 128.
      const uint8_t value = k == 0 ? 255 : (k == 1 ? 3 : 128);
      FillEllipse(mask, ToOriginal(object.cx, width), ToOriginal(object.cy, height),
                  std::max(1, object.rx * width / kFixtureEvalSize),
                  std::max(1, object.ry * height / kFixtureEvalSize), value);
      image.instance_masks.push_back(mask);
      r.mask_paths.push_back(absl::StrCat(r.image_id, "_m", k, ".png"));
    }
    // The ignore mask: a box around the first instance, larger than it, or none.
    image.ignore_mask = cv::Mat::zeros(height, width, CV_8UC1);
    if (i % 4 != 3) {
      const Bump& first = bumps.front();
      const int x0 = ToOriginal(first.cx - first.rx - 20, width);
      const int y0 = ToOriginal(first.cy - first.ry - 20, height);
      const int x1 = ToOriginal(first.cx + first.rx + 20, width);
      const int y1 = ToOriginal(first.cy + first.ry + 20, height);
      image.ignore_mask(cv::Rect(x0, y0, x1 - x0 + 1, y1 - y0 + 1)).setTo(255);
    }
    r.ignore_path = absl::StrCat(r.image_id, "_ignore.png");
    // Score maps mostly follow the instances; kind 7 gives the degenerate ones.
    image.scoremap = ScoreMap(i % 8, bumps, rng, /*float32=*/i % 2 == 1);
    images.push_back(std::move(image));
  }
  return images;
}

absl::Status WriteFixture(const std::vector<FixtureImage>& images, metadata::LocalizationKind kind,
                          const std::string& folder) {
  namespace fs = std::filesystem;
  metadata::SplitMetadata split;
  split.kind = kind;
  for (const FixtureImage& image : images) {
    split.images.push_back(image.record);
    if (kind == metadata::LocalizationKind::kMasks) {
      // wsolevaluation's OpenImages metadata has no image sizes.
      split.images.back().width = split.images.back().height = 0;
    }
  }
  if (absl::Status s =
          metadata::WriteSplitMetadata(split, (fs::path(folder) / "metadata").string());
      !s.ok()) {
    return s;
  }
  for (const FixtureImage& image : images) {
    const fs::path npy = fs::path(folder) / "scoremaps" / (image.record.image_id + ".npy");
    if (absl::Status s = WriteNpy(npy.string(), image.scoremap); !s.ok()) return s;
    if (kind != metadata::LocalizationKind::kMasks) continue;
    const fs::path masks = fs::path(folder) / "masks";
    for (size_t k = 0; k < image.instance_masks.size(); ++k) {
      const fs::path path = masks / image.record.mask_paths[k];
      fs::create_directories(path.parent_path());
      if (!cv::imwrite(path.string(), image.instance_masks[k])) {
        return absl::InternalError(absl::StrCat(path.string(), ": cannot write"));
      }
    }
    const fs::path ignore = masks / image.record.ignore_path;
    if (!cv::imwrite(ignore.string(), image.ignore_mask)) {
      return absl::InternalError(absl::StrCat(ignore.string(), ": cannot write"));
    }
  }
  return absl::OkStatus();
}

}  // namespace wsol::evaluation
