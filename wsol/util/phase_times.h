// phase_times.h
//
// Where a run's wall time goes: seconds accumulated per named phase by scoped timers, for
// `//tools:train --profile` (README, "Speed"). A null PhaseTimes makes every timer a no-op,
// so code can be timed unconditionally. Single-threaded: time the thread that drives the
// run (work on other threads shows up as the wait for it, e.g. "train: data").
//
//   PhaseTimes times;
//   { ScopedPhase phase(&times, "train: forward"); ... }
//   std::cout << times.Table(absl::Now() - start);
#ifndef WSOL_UTIL_PHASE_TIMES_H_
#define WSOL_UTIL_PHASE_TIMES_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace wsol {

class PhaseTimes {
 public:
  // Adds `d` to `phase` (phases keep the order in which they were first seen).
  void Add(const std::string& phase, absl::Duration d);
  // Each phase's total so far, in first-seen order.
  const std::vector<std::pair<std::string, absl::Duration>>& totals() const { return totals_; }
  // A Markdown table: phase, seconds, percent of `total`, and a last row for the part of
  // `total` that no phase covers.
  std::string Table(absl::Duration total) const;

 private:
  std::vector<std::pair<std::string, absl::Duration>> totals_;
};

// Adds the time from construction to destruction to a phase of `times` (none when null).
class ScopedPhase {
 public:
  // Nothing is copied or read from the clock when `times` is null.
  ScopedPhase(PhaseTimes* times, std::string_view phase)
      : times_(times),
        phase_(times != nullptr ? std::string(phase) : std::string()),
        start_(times != nullptr ? absl::Now() : absl::Time()) {}
  ~ScopedPhase() {
    if (times_ != nullptr) times_->Add(phase_, absl::Now() - start_);
  }
  ScopedPhase(const ScopedPhase&) = delete;
  ScopedPhase& operator=(const ScopedPhase&) = delete;

 private:
  PhaseTimes* times_;
  std::string phase_;
  absl::Time start_;
};

// Seconds from this process's start (the kernel's record of it) to now: what loading the
// program and its libraries took before main; 0 where /proc is not readable.
double SecondsSinceProcessStart();

}  // namespace wsol

#endif  // WSOL_UTIL_PHASE_TIMES_H_
