// explain.h
//
// What a trained model shows on test images, for the paper's figures: the input, the
// CAM of the ground-truth class, each conv stage's channel-mean map, the predicted box at
// the spec's threshold sigma and the ground-truth boxes. The model is the one the run's
// test metrics come from (checkpoint.pt with LAST_EPOCH, else best_model.pt), on the CPU.
//
//   absl::StatusOr<std::vector<ImageExplanation>> shown =
//       ExplainTestImages(spec, run_dir, {.cache_dir = "wsol_cache", .components = c}, 4);
#ifndef WSOL_TRAIN_EXPLAIN_H_
#define WSOL_TRAIN_EXPLAIN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "opencv2/core.hpp"
#include "wsol/metrics/box.h"
#include "wsol/proto/experiment.pb.h"
#include "wsol/train/components.h"

namespace wsol::train {

struct ImageExplanation {
  std::string image_id;
  int label = 0;
  int predicted = 0;
  cv::Mat image_bgr;                   // The input resized to the evaluation size (8-bit BGR).
  cv::Mat cam;                         // CAM of the GT class, eval size, CV_32F in [0, 1].
  std::vector<cv::Mat> stage_maps;     // Channel-mean map of each conv stage, CV_32F in [0, 1].
  std::vector<metrics::Box> gt_boxes;  // In eval-size pixels (empty for mask-only data).
  metrics::Box predicted_box;          // Largest contour at the spec's box_threshold (sigma).
  double iou = 0;                      // Best IoU of predicted_box with a GT box.
};

struct ExplainOptions {
  std::string cache_dir = "wsol_cache";
  Components components;
};

// Explains `count` images of the test split, taken evenly across it.
absl::StatusOr<std::vector<ImageExplanation>> ExplainTestImages(const proto::Experiment& spec,
                                                                const std::string& run_dir,
                                                                const ExplainOptions& options,
                                                                int count);

}  // namespace wsol::train

#endif  // WSOL_TRAIN_EXPLAIN_H_
