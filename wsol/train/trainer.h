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

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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

// The folder a run writes into: runtime.output_dir, or <cache_dir>/runs/<fingerprint>.
std::string RunDirectory(const proto::Experiment& spec, const std::string& cache_dir);

}  // namespace wsol::train

#endif  // WSOL_TRAIN_TRAINER_H_
