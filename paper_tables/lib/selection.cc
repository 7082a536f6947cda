#include "paper_tables/lib/selection.h"

#include <cmath>
#include <limits>

#include "paper_tables/lib/seed_stats.h"

namespace wsol::tables {

double ValMetric(const proto::RunResults& results, const std::string& name) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // The record of the epoch whose model the test numbers come from (the last one when the
  // results do not say).
  const proto::EpochRecord* record = nullptr;
  for (const proto::EpochRecord& epoch : results.history()) {
    if (epoch.epoch() == results.evaluated_epoch()) record = &epoch;
  }
  if (record == nullptr && results.history_size() > 0) record = &*results.history().rbegin();
  if (record == nullptr) return nan;
  if (name == "localization")
    return record->has_val_localization() ? record->val_localization() : nan;
  if (name == "top1_cls") return record->has_val_top1_cls() ? record->val_top1_cls() : nan;
  if (name == "entropy") return record->has_val_entropy() ? record->val_entropy() : nan;
  return nan;
}

bool IsValMetric(const std::string& name) {
  return name == "localization" || name == "top1_cls" || name == "entropy";
}

std::vector<ChosenRow> ChooseOnVal(const proto::TableSpec& table,
                                   const std::vector<std::vector<SeedResults>>& results_per_row,
                                   const std::string& val_field, int planned_seeds) {
  std::vector<ChosenRow> chosen;
  for (int b = 0; b < table.runs_size(); ++b) {
    const proto::TableRun& base = table.runs(b);
    if (base.variant() != "baseline" || base.group().empty()) continue;
    ChosenRow group;
    group.group = base.group();
    group.baseline_row = b;
    double best = -std::numeric_limits<double>::infinity();
    for (int r = 0; r < table.runs_size(); ++r) {
      const proto::TableRun& run = table.runs(r);
      if (run.group() != base.group() || run.variant() != "er") continue;
      ++group.candidates;
      const std::vector<SeedResults>& seeds = results_per_row[r];
      if (static_cast<int>(seeds.size()) >= planned_seeds) ++group.complete;
      std::vector<double> scores;
      for (const SeedResults& s : seeds) scores.push_back(ValMetric(s.results, val_field));
      const SeedSummary summary = Summarize(scores);
      if (summary.n > 0 && summary.mean > best) {
        best = summary.mean;
        group.row = r;
        group.val_mean = summary.mean;
      }
    }
    if (group.candidates > 0) chosen.push_back(group);
  }
  return chosen;
}

}  // namespace wsol::tables
