// run_cost.h
//
// What a planned run costs before it is trained: CPU time and disk, for --dry_run's
// summary line ("12 to train, 18 cached, about 16 CPU-minutes and 100 MB").
// The time is an estimate scaled from one measurement: the embedded profile's CAM run
// (PreResNet-18 x0.25 at 48 px, float32, one thread of a 2-core x86-64 machine) took 69.6 s
// from start to exit (farm-bench median of 2), 16,000 training and 2,100 scored images
// (val and the training sample every 10th epoch, then test); //tools:train --profile
// splits it into about 240 training and 670 scored images/s, checkpoints and start-up
// included. Other runs scale it by their
// backbone's multiply-adds relative to PreResNet-18's, the square of the width and of the
// input side; real data sets use their published split sizes. The disk is exact up to
// file headers: checkpoint.pt (weights and SGD momentum), best_model.pt (weights) and the
// saved score maps.
//
//   RunCost cost = EstimateRunCost(planned.experiment);
#ifndef PAPER_TABLES_LIB_RUN_COST_H_
#define PAPER_TABLES_LIB_RUN_COST_H_

#include <string>

#include "wsol/proto/experiment.pb.h"

namespace wsol::tables {

// The measurement every estimate scales from (see above).
inline constexpr double kReferenceTrainImagesPerSecond = 240;
inline constexpr double kReferenceEvalImagesPerSecond = 670;

struct RunCost {
  double cpu_seconds = 0;  // On one core; a GPU is far faster.
  double disk_bytes = 0;
  bool known_images = true;  // false: a data set whose split sizes we do not know.
};

RunCost EstimateRunCost(const proto::Experiment& experiment);

// "N to train, M cached, about X CPU-minutes and Y MB".
std::string CostSummary(int to_train, int cached, const RunCost& total);

}  // namespace wsol::tables

#endif  // PAPER_TABLES_LIB_RUN_COST_H_
