// scoremap.h
//
// Score maps at the boundary of the metrics: a score map is a 2-D single-channel
// cv::Mat of CV_32F or CV_64F values in [0, 1] (a CAM resized to the evaluation size and
// min-max normalized). This file checks that once, normalizes raw CAMs, quantizes maps
// to 8 bits the way wsolevaluation does before finding contours, and builds the CAM
// threshold grid 0, d, 2d, ... < 1 exactly as numpy.arange(0, 1, d).
//
//   absl::StatusOr<cv::Mat> map = wsol::metrics::NormalizeCam(raw_cam);
//   WSOL_RETURN_IF_ERROR(wsol::metrics::CheckScoremap(*map, image_id));
//   WSOL_ASSIGN_OR_RETURN(std::vector<double> thresholds,
//                         wsol::metrics::CamThresholds(0.001));
#ifndef WSOL_METRICS_SCOREMAP_H_
#define WSOL_METRICS_SCOREMAP_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "opencv2/core.hpp"

namespace wsol::metrics {

// CheckScoremap returns OK when `scoremap` is a non-empty 2-D single-channel CV_32F or
// CV_64F map without NaN and with every value in [0, 1]; otherwise InvalidArgument with a
// message that starts with `name` (an image id or path) and says what is wrong, e.g.
// "a.jpg: NaN at row 3, column 4".
absl::Status CheckScoremap(const cv::Mat& scoremap, absl::string_view name = "score map");

// TypeName names the element type of an OpenCV type ("uint8", "float32", ...), for errors.
std::string TypeName(int type);

// NormalizeCam min-max normalizes a 2-D single-channel CV_32F or CV_64F map to [0, 1] in
// its own precision, with numpy's in-place steps (x -= min; x /= max), as
// wsolevaluation's normalize_scoremap. A constant map, or one with NaN or infinite
// values, becomes all zeros. Other types give InvalidArgument.
absl::StatusOr<cv::Mat> NormalizeCam(const cv::Mat& cam);

// QuantizeScoremap returns the CV_8U map uint8(value * 255), the product taken in double
// as numpy does for wsolevaluation's float64 maps (a CV_32F value is widened exactly
// first). `scoremap` must pass CheckScoremap.
cv::Mat QuantizeScoremap(const cv::Mat& scoremap);

// CamThresholds returns numpy.arange(0, 1, interval): ceil(1 / interval) values, the
// i-th being i * interval in double. `interval` must be finite and positive.
absl::StatusOr<std::vector<double>> CamThresholds(double interval);

// ThresholdLevel returns int(threshold * max_quantized): at CAM threshold `threshold`,
// a pixel of an 8-bit map whose maximum is `max_quantized` is on when its value is
// strictly greater than this level.
inline int ThresholdLevel(double threshold, int max_quantized) {
  return static_cast<int>(threshold * static_cast<double>(max_quantized));
}

}  // namespace wsol::metrics

#endif  // WSOL_METRICS_SCOREMAP_H_
