#include "paper_tables/lib/seed_stats.h"

#include <cmath>

#include "gtest/gtest.h"

namespace wsol::tables {
namespace {

TEST(SeedStatsTest, MeanAndSampleStandardDeviation) {
  // 41, 43, 42: mean 42, squared deviations 1 + 1 + 0 = 2, sample variance 2 / 2 = 1.
  const SeedSummary s = Summarize({41.0, 43.0, 42.0});
  EXPECT_EQ(s.n, 3);
  EXPECT_DOUBLE_EQ(s.mean, 42.0);
  EXPECT_DOUBLE_EQ(s.std, 1.0);
  EXPECT_EQ(FormatSummary(s), "42.00 ± 1.00");
  // Non-finite values (a failed seed) are left out; one seed has no spread.
  const SeedSummary one = Summarize({NAN, 7.5});
  EXPECT_EQ(one.n, 1);
  EXPECT_EQ(FormatSummary(one), "7.50");
  EXPECT_EQ(FormatSummary(Summarize({})), "-");
}

TEST(SeedStatsTest, PairedDifferenceIntervalWorkedByHand) {
  // Differences 1, 2, 3: mean 2, sd 1, standard error 1 / sqrt(3) = 0.57735; with t(0.975,
  // 2 df) = 4.302653 the half-width is 2.48414: [-0.48414, 4.48414], which contains 0.
  const PairedDifference wide = CompareSeeds({1.0, 2.0, 3.0});
  EXPECT_DOUBLE_EQ(wide.summary.mean, 2.0);
  EXPECT_NEAR(wide.low, 2.0 - 4.302653 / std::sqrt(3.0), 1e-12);
  EXPECT_NEAR(wide.high, 4.48414, 1e-5);
  EXPECT_FALSE(wide.excludes_zero);
  EXPECT_EQ(FormatDifference(wide), "+2.00 [-0.48, +4.48]");
  // 2, 2.5, 3: sd 0.5, half-width 4.302653 * 0.5 / sqrt(3) = 1.24207: [1.25793, 3.74207].
  const PairedDifference tight = CompareSeeds({2.0, 2.5, 3.0});
  EXPECT_NEAR(tight.low, 1.25793, 1e-5);
  EXPECT_NEAR(tight.high, 3.74207, 1e-5);
  EXPECT_TRUE(tight.excludes_zero);
  EXPECT_EQ(FormatDifference(tight), "+2.50 [+1.26, +3.74]*");
  // Below zero too.
  EXPECT_TRUE(CompareSeeds({-2.0, -2.5, -3.0}).excludes_zero);
  // One seed: the difference, no interval.
  const PairedDifference single = CompareSeeds({1.5});
  EXPECT_TRUE(std::isnan(single.low));
  EXPECT_EQ(FormatDifference(single), "+1.50");
  // A value that rounds to zero has no minus sign.
  EXPECT_EQ(FormatSummary(Summarize({-0.001})), "0.00");
  EXPECT_EQ(FormatDifference(CompareSeeds({-0.004})), "+0.00");
  EXPECT_EQ(FormatDifference(CompareSeeds({-0.004, -0.002})).substr(0, 6), "+0.00 ");
}

TEST(SeedStatsTest, StudentQuantiles) {
  EXPECT_DOUBLE_EQ(StudentT975(1), 12.706205);
  EXPECT_DOUBLE_EQ(StudentT975(2), 4.302653);
  EXPECT_NEAR(StudentT975(40), 2.021075, 1e-4);   // tabulated value for 40 df
  EXPECT_NEAR(StudentT975(120), 1.979930, 1e-4);  // and for 120 df
  EXPECT_TRUE(std::isnan(StudentT975(0)));
}

}  // namespace
}  // namespace wsol::tables
