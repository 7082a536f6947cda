// parity_fixture.h (testonly)
//
// Deterministic synthetic evaluation sets on which our metrics are compared with
// wsolevaluation's Python code: CAM-like 224 x 224 score maps (sums of integer elliptic
// bumps plus hashed noise, min-max normalized by one division, so every platform computes
// the same bits), rings with holes, noisy maps with many contours and degenerate maps
// (all zeros, constants, a single hot pixel), saved as float32 or float64; box metadata
// in original-image pixels; instance and ignore masks as PNG files. Only the numbers
// their code gives on these sets are committed (testdata/wsolevaluation_golden.txt);
// tools/regenerate_metric_goldens.sh rebuilds the sets and re-records them.
//
//   std::vector<FixtureImage> images = BoxFixture();
//   WSOL_RETURN_IF_ERROR(WriteFixture(images, metadata::LocalizationKind::kBoxes, dir));
//   // dir/metadata/*.txt, dir/scoremaps/<image_id>.npy (and dir/masks/ for masks)
#ifndef WSOL_EVALUATION_PARITY_FIXTURE_H_
#define WSOL_EVALUATION_PARITY_FIXTURE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "opencv2/core.hpp"
#include "wsol/metadata/metadata.h"

namespace wsol::evaluation {

inline constexpr int kFixtureEvalSize = 224;
inline constexpr int kFixtureBoxImages = 48;
inline constexpr int kFixtureMaskImages = 32;

struct FixtureImage {
  metadata::ImageRecord record;         // Boxes in original pixels; mask paths relative.
  std::vector<cv::Mat> instance_masks;  // CV_8UC1 at the original size (mask sets).
  cv::Mat ignore_mask;                  // CV_8UC1 at the original size (mask sets).
  cv::Mat scoremap;                     // 224 x 224, CV_32FC1 or CV_64FC1, in [0, 1].
};

// The box set: `count` images from `seed`.
std::vector<FixtureImage> BoxFixture(int count = kFixtureBoxImages, uint64_t seed = 2020);

// The mask set: `count` images from `seed`; every image has an ignore mask file (possibly
// all black), as wsolevaluation requires.
std::vector<FixtureImage> MaskFixture(int count = kFixtureMaskImages, uint64_t seed = 2023);

// WriteFixture writes `images` under `folder`: metadata/ (wsolevaluation's four files),
// scoremaps/<image_id>.npy and, for masks, masks/<mask paths>.
absl::Status WriteFixture(const std::vector<FixtureImage>& images, metadata::LocalizationKind kind,
                          const std::string& folder);

}  // namespace wsol::evaluation

#endif  // WSOL_EVALUATION_PARITY_FIXTURE_H_
