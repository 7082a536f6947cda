// npy.h
//
// NumPy's .npy format for 2-D score maps: what wsolevaluation's inference writes (one
// <image_id>.npy per image) and what our trainer writes for //tools:evaluate. Reads
// format versions 1.0, 2.0 and 3.0 holding a C-order 2-D array of little-endian float32
// ('<f4') or float64 ('<f8'); writes version 1.0. Errors name the path and, for an
// unsupported array, its dtype and shape.
//
//   WSOL_ASSIGN_OR_RETURN(cv::Mat map, wsol::metrics::ReadNpy("scoremaps/a.jpg.npy"));
//   WSOL_RETURN_IF_ERROR(wsol::metrics::WriteNpy("out/a.jpg.npy", map));
#ifndef WSOL_METRICS_NPY_H_
#define WSOL_METRICS_NPY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "opencv2/core.hpp"

namespace wsol::metrics {

// ReadNpy returns the array as a CV_32FC1 or CV_64FC1 matrix of shape (rows, columns).
// NotFound when the file cannot be opened; DataLoss for a corrupt or truncated file;
// InvalidArgument for another dtype, Fortran order or a shape that is not 2-D.
// With expected_rows / expected_cols (>= 0), a map of another shape is InvalidArgument,
// found from the header before the data is read.
absl::StatusOr<cv::Mat> ReadNpy(const std::string& path, int expected_rows = -1,
                                int expected_cols = -1);

// ParseNpy is ReadNpy on the bytes of a file; `name` prefixes error messages.
absl::StatusOr<cv::Mat> ParseNpy(absl::string_view bytes, absl::string_view name);

// WriteNpy writes a 2-D CV_32FC1 or CV_64FC1 matrix as '<f4' or '<f8' in C order,
// through a temporary file renamed into place. Parent folders are created.
absl::Status WriteNpy(const std::string& path, const cv::Mat& map);

}  // namespace wsol::metrics

#endif  // WSOL_METRICS_NPY_H_
