#include "wsol/metrics/scoremap.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace wsol::metrics {
namespace {

absl::Status CheckShape(const cv::Mat& map, absl::string_view name) {
  if (map.empty()) return absl::InvalidArgumentError(absl::StrCat(name, ": empty score map"));
  if (map.dims != 2 || map.channels() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": expected a 2-D single-channel score map, got ", map.dims,
                     " dimensions and ", map.channels(), " channels"));
  }
  if (map.depth() != CV_32F && map.depth() != CV_64F) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": expected float32 or float64 scores, got ", TypeName(map.type())));
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status CheckValues(const cv::Mat& map, absl::string_view name) {
  // A fast pass first (NaN fails both comparisons; no early exit, so it vectorizes).
  bool all_valid = true;
  for (int r = 0; r < map.rows; ++r) {
    const T* row = map.ptr<T>(r);
    bool row_valid = true;
    for (int c = 0; c < map.cols; ++c) row_valid &= (row[c] >= 0) & (row[c] <= 1);
    all_valid &= row_valid;
  }
  if (all_valid) return absl::OkStatus();
  // NaN first over the whole map, then the range, as wsolevaluation's
  // check_scoremap_validity, so the message names the first problem it would name.
  for (int r = 0; r < map.rows; ++r) {
    const T* row = map.ptr<T>(r);
    for (int c = 0; c < map.cols; ++c) {
      if (std::isnan(row[c])) {
        return absl::InvalidArgumentError(
            absl::StrFormat("%s: NaN at row %d, column %d", name, r, c));
      }
    }
  }
  for (int r = 0; r < map.rows; ++r) {
    const T* row = map.ptr<T>(r);
    for (int c = 0; c < map.cols; ++c) {
      if (!(row[c] >= 0 && row[c] <= 1)) {
        double lo = 0, hi = 0;
        cv::minMaxLoc(map, &lo, &hi);
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s: value %.17g at row %d, column %d is outside [0, 1] (min %.17g, max %.17g)", name,
            static_cast<double>(row[c]), r, c, lo, hi));
      }
    }
  }
  return absl::OkStatus();
}

template <typename T>
cv::Mat Normalize(const cv::Mat& cam) {
  cv::Mat out = cv::Mat::zeros(cam.rows, cam.cols, cam.type());
  T lo = 0, hi = 0;
  bool first = true;
  for (int r = 0; r < cam.rows; ++r) {
    const T* row = cam.ptr<T>(r);
    for (int c = 0; c < cam.cols; ++c) {
      if (!std::isfinite(row[c])) return out;
      if (first || row[c] < lo) lo = row[c];
      if (first || row[c] > hi) hi = row[c];
      first = false;
    }
  }
  if (lo == hi) return out;
  // numpy: cam -= cam.min(); cam /= cam.max(). The shifted maximum is hi - lo rounded
  // to T, the same value numpy finds after the subtraction.
  const T shifted_max = static_cast<T>(hi - lo);
  for (int r = 0; r < cam.rows; ++r) {
    const T* in = cam.ptr<T>(r);
    T* o = out.ptr<T>(r);
    for (int c = 0; c < cam.cols; ++c) {
      const T shifted = static_cast<T>(in[c] - lo);
      o[c] = static_cast<T>(shifted / shifted_max);
    }
  }
  return out;
}

template <typename T>
void Quantize(const cv::Mat& map, cv::Mat& out) {
  for (int r = 0; r < map.rows; ++r) {
    const T* in = map.ptr<T>(r);
    uint8_t* o = out.ptr<uint8_t>(r);
    for (int c = 0; c < map.cols; ++c) {
      o[c] = static_cast<uint8_t>(static_cast<int>(static_cast<double>(in[c]) * 255.0));
    }
  }
}

}  // namespace

std::string TypeName(int type) {
  switch (CV_MAT_DEPTH(type)) {
    case CV_8U:
      return "uint8";
    case CV_8S:
      return "int8";
    case CV_16U:
      return "uint16";
    case CV_16S:
      return "int16";
    case CV_32S:
      return "int32";
    case CV_32F:
      return "float32";
    case CV_64F:
      return "float64";
    default:
      return absl::StrCat("OpenCV depth ", CV_MAT_DEPTH(type));
  }
}

absl::Status CheckScoremap(const cv::Mat& scoremap, absl::string_view name) {
  if (absl::Status s = CheckShape(scoremap, name); !s.ok()) return s;
  return scoremap.depth() == CV_32F ? CheckValues<float>(scoremap, name)
                                    : CheckValues<double>(scoremap, name);
}

absl::StatusOr<cv::Mat> NormalizeCam(const cv::Mat& cam) {
  if (absl::Status s = CheckShape(cam, "CAM"); !s.ok()) return s;
  return cam.depth() == CV_32F ? Normalize<float>(cam) : Normalize<double>(cam);
}

cv::Mat QuantizeScoremap(const cv::Mat& scoremap) {
  cv::Mat out(scoremap.rows, scoremap.cols, CV_8UC1);
  if (scoremap.depth() == CV_32F) {
    Quantize<float>(scoremap, out);
  } else {
    Quantize<double>(scoremap, out);
  }
  return out;
}

absl::StatusOr<std::vector<double>> CamThresholds(double interval) {
  if (!std::isfinite(interval) || interval <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("CAM curve interval ", interval, ": expected a finite value > 0"));
  }
  // numpy.arange(0, 1, d): length ceil((1 - 0) / d), values start + i * (next - start)
  // with next = start + d, i.e. i * d.
  const double count = std::ceil(1.0 / interval);
  if (count > 1e7) {
    return absl::InvalidArgumentError(
        absl::StrCat("CAM curve interval ", interval, ": too small (", count, " thresholds)"));
  }
  std::vector<double> thresholds(static_cast<size_t>(count));
  for (size_t i = 0; i < thresholds.size(); ++i) {
    thresholds[i] = static_cast<double>(i) * interval;
  }
  return thresholds;
}

}  // namespace wsol::metrics
