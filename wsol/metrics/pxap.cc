#include "wsol/metrics/pxap.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "opencv2/imgcodecs.hpp"
#include "wsol/metrics/scoremap.h"
#include "wsol/util/file_io.h"

namespace wsol::metrics {
namespace {

// numpy's pairwise_sum for float64 (numpy/core/src/umath/loops_utils.h.src): below 8
// values a plain loop, up to 128 eight interleaved partial sums, above that two halves
// split at a multiple of 8.
double PairwiseSum(const double* a, size_t n) {
  if (n < 8) {
    double sum = 0.;
    for (size_t i = 0; i < n; ++i) sum += a[i];
    return sum;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    size_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    }
    double sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) sum += a[i];
    return sum;
  }
  size_t half = n / 2;
  half -= half % 8;
  return PairwiseSum(a, half) + PairwiseSum(a + half, n - half);
}

// Source index of each destination index, as OpenCV's resizeNN computes it.
std::vector<int> NearestIndices(int source, int destination) {
  const double inverse_scale = 1. / (static_cast<double>(destination) / source);
  std::vector<int> index(destination);
  for (int i = 0; i < destination; ++i) {
    index[i] = std::min(static_cast<int>(std::floor(i * inverse_scale)), source - 1);
  }
  return index;
}

absl::Status CheckMaskImage(const cv::Mat& mask, absl::string_view what) {
  if (mask.empty() || mask.type() != CV_8UC1) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected a non-empty 8-bit single-channel mask"));
  }
  return absl::OkStatus();
}

absl::StatusOr<cv::Mat> ReadGray(const std::string& mask_root, const std::string& path) {
  const std::string full = (std::filesystem::path(mask_root) / path).string();
  // As bytes first: a folder or a FIFO at the path is a named error, never a hang.
  absl::StatusOr<std::string> bytes = ReadRegularFile(full, "mask image");
  if (!bytes.ok()) {
    if (absl::IsNotFound(bytes.status())) {
      return absl::NotFoundError(absl::StrCat(full, ": cannot read the mask image"));
    }
    return bytes.status();
  }
  cv::Mat image;
  try {
    image = cv::imdecode(cv::Mat(1, static_cast<int>(bytes->size()), CV_8UC1, bytes->data()),
                         cv::IMREAD_GRAYSCALE);
  } catch (const cv::Exception& e) {
    return absl::DataLossError(absl::StrCat(full, ": ", e.what()));
  }
  if (image.empty()) {
    return absl::NotFoundError(absl::StrCat(full, ": cannot read the mask image"));
  }
  return image;
}

}  // namespace

cv::Mat ResizeNearest(const cv::Mat& map, cv::Size size) {
  cv::Mat out(size, CV_8UC1);
  const std::vector<int> columns = NearestIndices(map.cols, size.width);
  const std::vector<int> rows = NearestIndices(map.rows, size.height);
  for (int r = 0; r < size.height; ++r) {
    const uint8_t* in = map.ptr<uint8_t>(rows[r]);
    uint8_t* o = out.ptr<uint8_t>(r);
    for (int c = 0; c < size.width; ++c) o[c] = in[columns[c]];
  }
  return out;
}

absl::StatusOr<cv::Mat> BuildGtMask(absl::Span<const cv::Mat> instance_masks,
                                    const cv::Mat& ignore_mask, cv::Size size) {
  if (instance_masks.empty()) return absl::InvalidArgumentError("no instance mask");
  if (size.width <= 0 || size.height <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("mask size ", size.width, "x", size.height, ": expected positive sides"));
  }
  cv::Mat mask(size, CV_8UC1, cv::Scalar(kMaskBackground));
  for (size_t i = 0; i < instance_masks.size(); ++i) {
    if (absl::Status s = CheckMaskImage(instance_masks[i], absl::StrCat("instance mask ", i));
        !s.ok()) {
      return s;
    }
    // wsolevaluation compares float32(value) > 0.5, i.e. value != 0 for 8-bit masks.
    const cv::Mat resized = ResizeNearest(instance_masks[i], size);
    mask.setTo(kMaskForeground, resized);
  }
  if (!ignore_mask.empty()) {
    if (absl::Status s = CheckMaskImage(ignore_mask, "ignore mask"); !s.ok()) return s;
    const cv::Mat ignore = ResizeNearest(ignore_mask, size);
    for (int r = 0; r < size.height; ++r) {
      const uint8_t* in = ignore.ptr<uint8_t>(r);
      uint8_t* o = mask.ptr<uint8_t>(r);
      for (int c = 0; c < size.width; ++c) {
        if (in[c] != 0 && o[c] != kMaskForeground) o[c] = kMaskIgnore;
      }
    }
  }
  return mask;
}

absl::StatusOr<cv::Mat> LoadGtMask(const std::string& mask_root,
                                   absl::Span<const std::string> mask_paths,
                                   const std::string& ignore_path, cv::Size size) {
  std::vector<cv::Mat> instances;
  instances.reserve(mask_paths.size());
  for (const std::string& path : mask_paths) {
    absl::StatusOr<cv::Mat> image = ReadGray(mask_root, path);
    if (!image.ok()) return image.status();
    instances.push_back(*std::move(image));
  }
  cv::Mat ignore;
  if (!ignore_path.empty()) {
    absl::StatusOr<cv::Mat> image = ReadGray(mask_root, ignore_path);
    if (!image.ok()) return image.status();
    ignore = *std::move(image);
  }
  return BuildGtMask(instances, ignore, size);
}

double NumpySum(absl::Span<const double> values) {
  // numpy's add.reduce starts from 0 and feeds the inner loop buffers of 8192 values.
  constexpr size_t kBuffer = 8192;
  double sum = 0.;
  for (size_t begin = 0; begin < values.size(); begin += kBuffer) {
    sum += PairwiseSum(values.data() + begin, std::min(kBuffer, values.size() - begin));
  }
  return sum;
}

absl::StatusOr<Pxap> Pxap::Create(const PxapOptions& options) {
  absl::StatusOr<std::vector<double>> edges = CamThresholds(options.cam_curve_interval);
  if (!edges.ok()) return edges.status();
  edges->insert(edges->end(), {1.0, 2.0, 3.0});
  return Pxap(options, *std::move(edges));
}

Pxap::Pxap(const PxapOptions& options, std::vector<double> edges)
    : options_(options),
      edges_(std::move(edges)),
      true_hist_(edges_.size() - 1, 0),
      false_hist_(edges_.size() - 1, 0) {}

absl::Status Pxap::Add(const cv::Mat& scoremap, const cv::Mat& gt_mask) {
  if (absl::Status s = CheckScoremap(scoremap); !s.ok()) return s;
  if (gt_mask.type() != CV_8UC1 || gt_mask.size() != scoremap.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ground-truth mask: expected a uint8 %dx%d mask with 1 channel, like the score map; "
        "got a %s %dx%d mask with %d channel(s)",
        scoremap.cols, scoremap.rows, TypeName(gt_mask.type()), gt_mask.cols, gt_mask.rows,
        gt_mask.channels()));
  }
  // One count row per mask class: background, foreground, ignore, and invalid values
  // (looked up by mask value, so the loop has no branch on the mask).
  const int num_bins = static_cast<int>(true_hist_.size());
  std::vector<int64_t> counts(4 * static_cast<size_t>(num_bins), 0);
  std::array<int, 256> row_of;
  row_of.fill(3 * num_bins);
  row_of[kMaskBackground] = 0;
  row_of[kMaskForeground] = num_bins;
  row_of[kMaskIgnore] = 2 * num_bins;
  const double inverse_interval = 1.0 / options_.cam_curve_interval;
  const int last_bin = num_bins - 1;
  const double* edges = edges_.data();
  const auto count_row = [&](const auto* values, const uint8_t* m, int cols) {
    for (int c = 0; c < cols; ++c) {
      const double v = static_cast<double>(values[c]);
      // The bin with edges[b] <= v < edges[b + 1] (numpy.histogram): a guess from the
      // interval, then exact comparisons with the edges.
      int b = std::min(static_cast<int>(v * inverse_interval), last_bin);
      while (b < last_bin && edges[b + 1] <= v) ++b;
      while (b > 0 && edges[b] > v) --b;
      ++counts[row_of[m[c]] + b];
    }
  };
  for (int r = 0; r < scoremap.rows; ++r) {
    if (scoremap.depth() == CV_32F) {
      count_row(scoremap.ptr<float>(r), gt_mask.ptr<uint8_t>(r), scoremap.cols);
    } else {
      count_row(scoremap.ptr<double>(r), gt_mask.ptr<uint8_t>(r), scoremap.cols);
    }
  }
  if (std::any_of(counts.begin() + 3 * num_bins, counts.end(), [](int64_t n) { return n > 0; })) {
    for (int r = 0; r < gt_mask.rows; ++r) {
      const uint8_t* m = gt_mask.ptr<uint8_t>(r);
      for (int c = 0; c < gt_mask.cols; ++c) {
        if (row_of[m[c]] == 3 * num_bins) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "ground-truth mask: value %d at row %d, column %d; expected 0, 1 or 255", m[c], r,
              c));
        }
      }
    }
  }
  const int64_t* false_hist = counts.data();
  const int64_t* true_hist = counts.data() + num_bins;
  for (size_t b = 0; b < true_hist_.size(); ++b) {
    true_hist_[b] += true_hist[b];
    false_hist_[b] += false_hist[b];
  }
  ++num_images_;
  return absl::OkStatus();
}

absl::Status Pxap::Merge(const Pxap& other) {
  if (options_.cam_curve_interval != other.options_.cam_curve_interval) {
    return absl::InvalidArgumentError("cannot merge PxAPs with different CAM curve intervals");
  }
  num_images_ += other.num_images_;
  for (size_t b = 0; b < true_hist_.size(); ++b) {
    true_hist_[b] += other.true_hist_[b];
    false_hist_[b] += other.false_hist_[b];
  }
  return absl::OkStatus();
}

void Pxap::AppendCounts(std::vector<int64_t>* counts) const {
  counts->push_back(num_images_);
  counts->insert(counts->end(), true_hist_.begin(), true_hist_.end());
  counts->insert(counts->end(), false_hist_.begin(), false_hist_.end());
}

absl::Status Pxap::AddCounts(absl::Span<const int64_t> counts, size_t* offset) {
  const size_t needed = 1 + 2 * true_hist_.size();
  if (*offset + needed > counts.size()) {
    return absl::OutOfRangeError(absl::StrCat("PxAP counts: ", counts.size() - *offset,
                                              " values left, ", needed, " expected"));
  }
  const int64_t* p = counts.data() + *offset;
  num_images_ += *p++;
  for (int64_t& c : true_hist_) c += *p++;
  for (int64_t& c : false_hist_) c += *p++;
  *offset += needed;
  return absl::OkStatus();
}

absl::StatusOr<PxapResult> Pxap::Compute() const {
  // wsolevaluation's MaskEvaluator.compute on the same (integer-valued, hence exact)
  // float64 counts.
  const size_t n = true_hist_.size();
  std::vector<double> tp(n), fp(n);
  double true_total = 0, false_total = 0;
  for (size_t i = 0; i < n; ++i) {
    true_total += static_cast<double>(true_hist_[n - 1 - i]);
    false_total += static_cast<double>(false_hist_[n - 1 - i]);
    tp[i] = true_total;
    fp[i] = false_total;
  }
  if (true_total <= 0) {
    return absl::FailedPreconditionError(
        "PxAP: no ground-truth foreground pixel in the evaluation set");
  }
  if (true_total + false_total <= 0) {
    return absl::FailedPreconditionError("PxAP: no pixel was counted");
  }
  PxapResult r;
  r.num_images = num_images_;
  r.gt_true_hist = true_hist_;
  r.gt_false_hist = false_hist_;
  r.precision.resize(n);
  r.recall.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const double fn = true_total - tp[i];
    r.precision[i] =
        tp[i] + fp[i] == 0 ? std::numeric_limits<double>::quiet_NaN() : tp[i] / (tp[i] + fp[i]);
    r.recall[i] = tp[i] / (tp[i] + fn);
  }
  std::vector<double> terms;
  terms.reserve(n);
  for (size_t i = 1; i < n; ++i) {
    if (tp[i] + fp[i] != 0) terms.push_back(r.precision[i] * (r.recall[i] - r.recall[i - 1]));
  }
  r.pxap = NumpySum(terms) * 100;
  return r;
}

absl::StatusOr<MeanPxap> MeanPxap::Create(int num_classes, const PxapOptions& options) {
  if (num_classes <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_classes = ", num_classes, ": expected > 0"));
  }
  absl::StatusOr<Pxap> one = Pxap::Create(options);
  if (!one.ok()) return one.status();
  return MeanPxap(std::vector<Pxap>(num_classes, *one));
}

absl::Status MeanPxap::Add(int class_index, const cv::Mat& scoremap, const cv::Mat& gt_mask) {
  if (class_index < 0 || class_index >= static_cast<int>(per_class_.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("class ", class_index, ": expected [0, ", per_class_.size(), ")"));
  }
  return per_class_[class_index].Add(scoremap, gt_mask);
}

absl::Status MeanPxap::Merge(const MeanPxap& other) {
  if (other.per_class_.size() != per_class_.size()) {
    return absl::InvalidArgumentError("cannot merge mPxAPs with different class counts");
  }
  for (size_t c = 0; c < per_class_.size(); ++c) {
    if (absl::Status s = per_class_[c].Merge(other.per_class_[c]); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void MeanPxap::AppendCounts(std::vector<int64_t>* counts) const {
  for (const Pxap& pxap : per_class_) pxap.AppendCounts(counts);
}

absl::Status MeanPxap::AddCounts(absl::Span<const int64_t> counts, size_t* offset) {
  for (Pxap& pxap : per_class_) {
    if (absl::Status s = pxap.AddCounts(counts, offset); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<MeanPxapResult> MeanPxap::Compute() const {
  MeanPxapResult r;
  double sum = 0;
  for (const Pxap& pxap : per_class_) {
    absl::StatusOr<PxapResult> one = pxap.Compute();
    r.per_class.push_back(one.ok() ? one->pxap : std::numeric_limits<double>::quiet_NaN());
    if (one.ok()) {
      sum += one->pxap;
      ++r.num_classes_scored;
    }
  }
  if (r.num_classes_scored == 0) {
    return absl::FailedPreconditionError("mPxAP: no class has a ground-truth foreground pixel");
  }
  r.mean_pxap = sum / r.num_classes_scored;
  return r;
}

}  // namespace wsol::metrics
