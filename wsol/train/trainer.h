// trainer.h
//
// One WSOL run from a spec, in named stages: BuildRun (run_builder.h) makes the model,
// optimizer and loaders; each epoch runs TrainStep (train_step.h) over the training
// split, scores the selection split (the validation split) with a SplitEvaluator, keeps
// the best model by localization and writes a checkpoint and history.csv into the run
// folder (run_folder.h); at the end the test split is scored (the last model, as
// wsolevaluation reports, or the best one) into results.json.
//
// A checkpoint is written atomically after every epoch; rerunning a killed run resumes
// from it and ends with the same numbers as an uninterrupted run (same seed, same
// threads). A NaN or infinite loss stops the run with the step and the loss terms; the
// last good checkpoint is kept.
//
//   absl::StatusOr<wsol::proto::RunResults> results = wsol::train::RunExperiment(
//       spec, {.cache_dir = "wsol_cache", .components = wsol::tools::StandardComponents()});
#ifndef WSOL_TRAIN_TRAINER_H_
#define WSOL_TRAIN_TRAINER_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wsol/proto/experiment.pb.h"
#include "wsol/proto/results.pb.h"
#include "wsol/train/components.h"
#include "wsol/util/phase_times.h"

namespace wsol::train {

class Communicator;

struct TrainerOptions {
  // Where generated data (FMNIST-Loc) and default run folders go.
  std::string cache_dir = "wsol_cache";
  // The method table and the data source (tools/components.h has the standard ones).
  Components components;
  // Build everything and check the data, then stop before training.
  bool validate_only = false;
  // Progress bars on stderr.
  bool progress = true;
  // Called after each epoch's checkpoint is written (tests use it to simulate a kill by
  // returning an error).
  std::function<absl::Status(int epoch)> after_epoch;
  // Data parallelism: this process's place in the job (distributed.h); null for one
  // process. Each rank trains on its slice of every global batch, scores its share of
  // each split (the counts merged, so the numbers are those of one process), and rank 0
  // writes the run folder.
  Communicator* communicator = nullptr;
  // Where the run's wall time goes, per phase (//tools:train --profile): building the
  // run, training (data, forward, backward, optimizer, diagnostics), observing, saving,
  // the test split. Null: not measured.
  PhaseTimes* phases = nullptr;
};

// Whether this LibTorch sees a CUDA device (what runtime.device "auto" picks).
bool CudaAvailable();

// Trains and evaluates; returns what it wrote to <run folder>/results.json.
absl::StatusOr<proto::RunResults> RunExperiment(const proto::Experiment& spec,
                                                const TrainerOptions& options);

}  // namespace wsol::train

#endif  // WSOL_TRAIN_TRAINER_H_
