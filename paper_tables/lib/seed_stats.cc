#include "paper_tables/lib/seed_stats.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace wsol::tables {

SeedSummary Summarize(const std::vector<double>& values) {
  SeedSummary s;
  double sum = 0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    sum += v;
    ++s.n;
  }
  if (s.n == 0) {
    s.mean = std::numeric_limits<double>::quiet_NaN();
    return s;
  }
  s.mean = sum / s.n;
  if (s.n > 1) {
    double squares = 0;
    for (double v : values) {
      if (std::isfinite(v)) squares += (v - s.mean) * (v - s.mean);
    }
    s.std = std::sqrt(squares / (s.n - 1));
  }
  return s;
}

double StudentT975(int df) {
  // Tabulated quantiles for df 1..30 (any statistics table); beyond, the Cornish-Fisher
  // expansion around the normal quantile, within 1e-4 of the exact value there.
  static constexpr double kTable[] = {12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912,
                                      2.364624,  2.306004, 2.262157, 2.228139, 2.200985, 2.178813,
                                      2.160369,  2.144787, 2.131450, 2.119905, 2.109816, 2.100922,
                                      2.093024,  2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
                                      2.059539,  2.055529, 2.051831, 2.048407, 2.045230, 2.042272};
  if (df < 1) return std::numeric_limits<double>::quiet_NaN();
  if (df <= 30) return kTable[df - 1];
  const double z = 1.959964, n = df;
  return z + (z * z * z + z) / (4 * n) +
         (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * n * n);
}

PairedDifference CompareSeeds(const std::vector<double>& differences) {
  PairedDifference d;
  d.summary = Summarize(differences);
  if (d.summary.n < 2) {
    d.low = d.high = std::numeric_limits<double>::quiet_NaN();
    return d;
  }
  const double half =
      StudentT975(d.summary.n - 1) * d.summary.std / std::sqrt(static_cast<double>(d.summary.n));
  d.low = d.summary.mean - half;
  d.high = d.summary.mean + half;
  d.excludes_zero = d.low > 0 || d.high < 0;
  return d;
}

namespace {

// Two decimals, with a value that rounds to zero written without a minus sign ("0.00",
// or "+0.00" with `sign`): "-0.00" reads as a negative effect that is not there.
std::string TwoDecimals(double value, bool sign = false) {
  std::string text = absl::StrFormat(sign ? "%+.2f" : "%.2f", value);
  if (text == "-0.00") text = sign ? "+0.00" : "0.00";
  return text;
}

}  // namespace

std::string FormatSummary(const SeedSummary& s) {
  if (s.n == 0) return "-";
  if (s.n == 1) return TwoDecimals(s.mean);
  return absl::StrCat(TwoDecimals(s.mean), " ± ", TwoDecimals(s.std));
}

std::string FormatDifference(const PairedDifference& d) {
  if (d.summary.n == 0) return "-";
  if (d.summary.n == 1) return TwoDecimals(d.summary.mean, true);
  return absl::StrCat(TwoDecimals(d.summary.mean, true), " [", TwoDecimals(d.low, true), ", ",
                      TwoDecimals(d.high, true), "]", d.excludes_zero ? "*" : "");
}

}  // namespace wsol::tables
