#include "wsol/util/phase_times.h"

#include "gtest/gtest.h"

namespace wsol {
namespace {

TEST(PhaseTimesTest, AddsPerPhaseInFirstSeenOrder) {
  PhaseTimes times;
  times.Add("train", absl::Seconds(2));
  times.Add("eval", absl::Seconds(1));
  times.Add("train", absl::Seconds(3));
  ASSERT_EQ(times.totals().size(), 2u);
  EXPECT_EQ(times.totals()[0].first, "train");
  EXPECT_EQ(times.totals()[0].second, absl::Seconds(5));
  EXPECT_EQ(times.totals()[1].first, "eval");
  EXPECT_EQ(times.totals()[1].second, absl::Seconds(1));
}

TEST(PhaseTimesTest, TableSharesAndTheUncoveredRest) {
  PhaseTimes times;
  times.Add("train", absl::Seconds(6));
  times.Add("eval", absl::Seconds(2));
  EXPECT_EQ(times.Table(absl::Seconds(10)),
            "| phase | seconds | share |\n|---|---:|---:|\n"
            "| train | 6.00 | 60.0% |\n"
            "| eval | 2.00 | 20.0% |\n"
            "| other | 2.00 | 20.0% |\n"
            "| **total** | 10.00 | 100% |\n");
}

TEST(PhaseTimesTest, ScopedPhaseTimesItsScopeAndNullIsANoOp) {
  PhaseTimes times;
  {
    ScopedPhase phase(&times, "sleep");
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(times.totals().size(), 1u);
  EXPECT_GE(times.totals()[0].second, absl::Milliseconds(20));
  { ScopedPhase phase(nullptr, "nothing"); }
  EXPECT_EQ(times.totals().size(), 1u);
}

TEST(PhaseTimesTest, ProcessStartIsInThePast) {
  const double seconds = SecondsSinceProcessStart();
  EXPECT_GE(seconds, 0.0);
  EXPECT_LT(seconds, 3600.0);
}

}  // namespace
}  // namespace wsol
