// trainer.h
//
// One WSOL run from a spec: build the data, backbone, method and regularizer; train with
// SGD; after every epoch evaluate on the validation split and keep the best checkpoint by
// localization (wsolevaluation's model selection); finally evaluate the best model on the
// test split and write results.json and history.csv into the run folder.
//
// A checkpoint is written atomically after every epoch; rerunning a killed run resumes
// from it and ends with the same numbers as an uninterrupted run (same seed, same
// threads). A NaN or infinite loss stops the run with the step and the loss terms; the
// last good checkpoint is kept.
//
//   absl::StatusOr<wsol::proto::RunResults> results =
//       wsol::train::RunExperiment(spec, {.cache_dir = "wsol_cache"});
#ifndef WSOL_TRAIN_TRAINER_H_
#define WSOL_TRAIN_TRAINER_H_

#include <functional>
#include <memory>
#include <string>

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "opencv2/core.hpp"
#include "wsol/metrics/box.h"
#include "wsol/proto/experiment.pb.h"
#include "wsol/proto/results.pb.h"

namespace wsol::train {

class WsolModel;

struct TrainerOptions {
  // Where generated data (FMNIST-Loc) and default run folders go.
  std::string cache_dir = "wsol_cache";
  // Build everything and check the data, then stop before training.
  bool validate_only = false;
  // Progress bars on stderr.
  bool progress = true;
  // Called after each epoch's checkpoint is written (tests use it to simulate a kill by
  // returning an error).
  std::function<absl::Status(int epoch)> after_epoch;
};

// Trains and evaluates; returns what it wrote to <output_dir>/results.json.
absl::StatusOr<proto::RunResults> RunExperiment(const proto::Experiment& spec,
                                                const TrainerOptions& options);

// What a trained model shows on one test image (for the paper's figures).
struct ImageExplanation {
  std::string image_id;
  int label = 0;
  int predicted = 0;
  cv::Mat image_bgr;                 // The input resized to the evaluation size (8-bit BGR).
  cv::Mat cam;                       // CAM of the GT class, eval size, CV_32F in [0, 1].
  std::vector<cv::Mat> stage_maps;   // Channel-mean map of each conv stage, CV_32F in [0, 1].
  std::vector<metrics::Box> gt_boxes;  // In eval-size pixels (empty for mask-only data).
  metrics::Box predicted_box;        // Largest contour at the spec's box_threshold (sigma).
  double iou = 0;                    // Best IoU of predicted_box with a GT box.
};

// Loads the evaluated model of a finished run (best_model.pt, or checkpoint.pt with
// evaluation.checkpoint_selection = LAST_EPOCH) and explains the
// first `count` images of the test split, taken evenly across it.
absl::StatusOr<std::vector<ImageExplanation>> ExplainTestImages(const proto::Experiment& spec,
                                                                const std::string& run_dir,
                                                                const std::string& cache_dir,
                                                                int count);

// The folder a run writes into: runtime.output_dir, or <cache_dir>/runs/<fingerprint>.
std::string RunDirectory(const proto::Experiment& spec, const std::string& cache_dir);

}  // namespace wsol::train

#endif  // WSOL_TRAIN_TRAINER_H_
