// progress.h
//
// A progress bar on stderr for long loops: count, rate, ETA and a caller-supplied status
// ("loss 0.52 acc 81.3%"). On a terminal it redraws one line; otherwise (logs, CI) it
// prints a line about every 10% so logs stay short.
//
//   wsol::ProgressBar bar("epoch 3/10", num_batches, "img");
//   for (...) { ...; bar.Advance(batch_size_images, absl::StrFormat("loss %.3f", loss)); }
//   bar.Finish();
#ifndef WSOL_UTIL_PROGRESS_H_
#define WSOL_UTIL_PROGRESS_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace wsol {

class ProgressBar {
 public:
  // `total` steps; `unit` names what Advance's `items` count (for the rate). A bar made
  // with `enabled` false prints nothing, so callers need no conditionals.
  ProgressBar(std::string label, int64_t total, std::string unit = "it", bool enabled = true);
  ~ProgressBar();
  // One step done, covering `items` units; `status` is shown after the bar.
  void Advance(int64_t items = 1, const std::string& status = "");
  // Prints the final line (idempotent).
  void Finish();

 private:
  void Draw(bool final);

  std::string label_;
  int64_t total_;
  std::string unit_;
  int64_t done_ = 0;
  int64_t items_ = 0;
  std::string status_;
  absl::Time start_;
  absl::Time last_draw_;
  int last_decile_ = -1;
  bool tty_;
  bool finished_ = false;
  bool enabled_;
};

}  // namespace wsol

#endif  // WSOL_UTIL_PROGRESS_H_
