// seed_stats.h
//
// What several seeds of one table row add up to: the mean and sample standard deviation
// of a metric, and for a baseline / ER pair the paired difference (ER seed s minus
// baseline seed s) with its two-sided 95% Student t-interval. A difference is marked
// when its interval excludes zero; a single seed gives no interval.
//
//   SeedSummary s = Summarize({41.2, 43.0, 42.1});          // mean 42.1, std 0.9, n 3
//   PairedDifference d = CompareSeeds({1.0, 2.0, 3.0});     // mean 2, [-0.48, 4.48]
#ifndef PAPER_TABLES_LIB_SEED_STATS_H_
#define PAPER_TABLES_LIB_SEED_STATS_H_

#include <string>
#include <vector>

namespace wsol::tables {

struct SeedSummary {
  int n = 0;        // Finite values.
  double mean = 0;  // NaN when n == 0.
  double std = 0;   // Sample standard deviation (n - 1); 0 when n < 2.
};

// Summarizes the finite values of `values` (NaN and infinities are left out).
SeedSummary Summarize(const std::vector<double>& values);

// The 97.5% quantile of Student's t with `df` degrees of freedom (df >= 1): the
// half-width factor of a two-sided 95% interval.
double StudentT975(int df);

struct PairedDifference {
  SeedSummary summary;  // Of the per-seed differences.
  double low = 0;       // 95% t-interval of the mean difference (n >= 2), else NaN.
  double high = 0;
  bool excludes_zero = false;
};

// The interval of the mean of per-seed differences (finite ones only).
PairedDifference CompareSeeds(const std::vector<double>& differences);

// "42.10 ± 0.90" (n >= 2), "42.10" (n == 1), "-" (n == 0).
std::string FormatSummary(const SeedSummary& s);
// "+2.00 [-0.48, +4.48]", with "*" after it when the interval excludes zero; "+2.00" for one
// seed; "-" for none.
std::string FormatDifference(const PairedDifference& d);

}  // namespace wsol::tables

#endif  // PAPER_TABLES_LIB_SEED_STATS_H_
