// cadence.h
//
// The epochs a cadence picks, "every k-th epoch and the last": when the trainer scores
// val and the training sample (evaluation.observe_every_epochs) and writes a checkpoint
// (runtime.checkpoint_every_epochs), and how many of them a run's cost estimate counts.
// Standard library only.
//
//   if (OnCadence(epoch, every, epochs)) Observe();  // epoch is 0-based
//   const int observed = EpochsOnCadence(every, epochs);
#ifndef WSOL_TRAIN_CADENCE_H_
#define WSOL_TRAIN_CADENCE_H_

#include <algorithm>

namespace wsol::train {

// Whether 0-based `epoch` of `epochs` is on the cadence: the k-th (k = every, at least
// 1), 2k-th, ... epoch, or the last.
inline bool OnCadence(int epoch, int every, int epochs) {
  return (epoch + 1) % std::max(every, 1) == 0 || epoch + 1 == epochs;
}

// How many of `epochs` epochs are on the cadence.
inline int EpochsOnCadence(int every, int epochs) {
  int count = 0;
  for (int epoch = 0; epoch < epochs; ++epoch) count += OnCadence(epoch, every, epochs);
  return count;
}

}  // namespace wsol::train

#endif  // WSOL_TRAIN_CADENCE_H_
