// selection.h
//
// The paper's model selection over a table's rows: within each group (a method), the ER
// row (one lambda of a grid) with the highest mean val score over its finished seeds is
// the chosen one, and its test Δ against the group's baseline is what the table reports
// for "ER with lambda chosen on val". The val split is never the split reported, so the
// chosen row's test numbers are not fitted to.
//
//   std::vector<ChosenRow> chosen = ChooseOnVal(table, results_per_row, "localization", 5);
//   // chosen[0]: group "cam", baseline_row 0, row 3 (the best ER row on val), ...
#ifndef PAPER_TABLES_LIB_SELECTION_H_
#define PAPER_TABLES_LIB_SELECTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "wsol/proto/results.pb.h"
#include "wsol/proto/table.pb.h"

namespace wsol::tables {

// One finished seed of a row.
struct SeedResults {
  uint64_t seed = 0;
  proto::RunResults results;
};

struct ChosenRow {
  std::string group;
  int baseline_row = -1;  // The group's "baseline" row.
  int row = -1;           // The chosen "er" row; -1 when no ER row has a val score yet.
  double val_mean = 0;    // The chosen row's mean val score.
  int candidates = 0;     // ER rows of the group.
  int complete = 0;       // Of those, rows with every planned seed finished.
};

// A val-split score of one run, as its history recorded it for the evaluated epoch (the
// model the test numbers come from): "localization" (MaxBoxAccV2 on box data, PxAP on mask
// data, wsolevaluation's choice), "top1_cls" or "entropy"; NaN when absent.
double ValMetric(const proto::RunResults& results, const std::string& name);
// Whether `name` is one of ValMetric's names.
bool IsValMetric(const std::string& name);

// Per group with a baseline row and at least one ER row, in the order of the groups' first
// rows: the ER row with the highest mean `val_field` over its finished seeds (ties: the
// first row). `planned_seeds` is how many seeds each row should have (for `complete`).
std::vector<ChosenRow> ChooseOnVal(const proto::TableSpec& table,
                                   const std::vector<std::vector<SeedResults>>& results_per_row,
                                   const std::string& val_field, int planned_seeds);

}  // namespace wsol::tables

#endif  // PAPER_TABLES_LIB_SELECTION_H_
