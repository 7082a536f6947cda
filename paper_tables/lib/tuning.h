// tuning.h
//
// wsolevaluation's answer to "which hyper-parameters": a random search scored on val.
// For each cell of a table (a row: a method on a backbone and data set, with or without
// ER), N trials draw their values from a search space (paper_tables/tuning/
// search_space.pbtxt: each parameter a spec field, a range, uniform or log-uniform, and
// where the range comes from); each trial is an ordinary cached run trained on train and
// scored on the val split by the cell's localization metric (MaxBoxAccV2 on box data,
// PxAP on mask data), and the best trial's values become overrides that the table
// binaries apply to that row with --tuned=FILE.
//
//   WSOL_ASSIGN_OR_RETURN(std::string out, Tune("table1", tune_options, options, run));
//   // out/tuned.pbtxt: per cell, the winning trial's overrides;
//   // out/trials.csv: every trial's values, val scores, seed and run folder.
//
// A trial's draws are a function of the search seed, the cell (group and variant) and the
// trial's index only, so tuning some cells draws what tuning all of them would.
#ifndef PAPER_TABLES_LIB_TUNING_H_
#define PAPER_TABLES_LIB_TUNING_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "paper_tables/lib/selection.h"
#include "paper_tables/lib/table_runner.h"
#include "wsol/proto/experiment.pb.h"
#include "wsol/proto/table.pb.h"
#include "wsol/proto/tuning.pb.h"

namespace wsol::tables {

// Reads and checks a SearchSpace file: every field a number field of the spec, every
// `when` a message of it, low <= high (low > 0 on a log scale), a source for each, trials
// at least 1. Errors name the file and the parameter.
absl::StatusOr<proto::SearchSpace> LoadSearchSpace(const std::string& path);

// Whether a parameter is drawn for this run: its `when` message is set in the spec (and
// every message on the way to it), or it has no `when`.
bool ParameterApplies(const proto::SearchParameter& parameter, const proto::Experiment& experiment);

// The parameter's name in tables: `name`, else the field's last component.
std::string ParameterName(const proto::SearchParameter& parameter);

// One trial of one cell.
struct Trial {
  int row = 0;    // The table row (cell) it tunes.
  int index = 0;  // 0-based within the cell.
  // (parameter name, value as written into the spec), in the search space's order.
  std::vector<std::pair<std::string, std::string>> values;
  std::vector<std::string> set;  // "field=value", one per value.
};

// The rows `cells` names: "GROUP" (every row of the group) or "GROUP:VARIANT", e.g.
// "cam:baseline,cam:er"; every row when `cells` is empty. Errors name the cell and list
// the table's.
absl::StatusOr<std::vector<int>> SelectCells(const proto::TableSpec& table,
                                             const std::vector<std::string>& cells);

// `space.trials` trials for each of `rows`, each drawing the parameters that apply to its
// row's spec (experiments[i] is rows[i]'s, as planned). Values are rounded to 3
// significant digits (what the spec, the cache key and the tables then read) and kept
// within [low, high].
std::vector<Trial> DrawTrials(const proto::SearchSpace& space, const proto::TableSpec& table,
                              const std::vector<int>& rows,
                              const std::vector<proto::Experiment>& experiments,
                              uint64_t search_seed);

// The table whose rows are the trials: each the cell's row with the trial's overrides
// after the row's own, labelled "<row label> #<trial>" with its values as the setting,
// val columns only (no pairs, no references: nothing here is a reported number).
proto::TableSpec TrialTable(const proto::TableSpec& table, const std::vector<Trial>& trials);

// Per cell, the trial with the highest mean val score over its finished seeds (ties: the
// first), among trials with a score; cells without any score are left out. per_trial[i]
// holds trials[i]'s results.
proto::TunedValues ChooseTrials(const proto::TableSpec& table, const std::vector<Trial>& trials,
                                const std::vector<std::vector<SeedResults>>& per_trial);

// The trial table as CSV: cell, trial, each parameter, val scores, seeds, chosen.
std::string TrialsCsv(const proto::TableSpec& table, const std::vector<Trial>& trials,
                      const std::vector<std::vector<SeedResults>>& per_trial,
                      const proto::TunedValues& chosen);

// The winners as Markdown: one line per cell with its trial, val score and values.
std::string ChosenMarkdown(const proto::TableSpec& table, const proto::TunedValues& chosen);

// Reads a tuned.pbtxt and makes `options` apply it to table `name`: its profile must be
// options->profile, and each of its cells must name a row of the table (group and
// variant). Errors name the file and the cell.
absl::Status UseTunedValues(const std::string& path, const std::string& name,
                            TableOptions* options);

struct TuneOptions {
  std::string search_space = "paper_tables/tuning/search_space.pbtxt";  // In the workspace.
  int trials = 0;  // Per cell; 0: the search space's.
  uint64_t search_seed = 0;
  std::vector<std::string> cells;  // SelectCells; empty: every row.
};

// The protocol end to end for table `name`: plan its cells, draw the trials, say what
// they cost, train or reuse them (options: --jobs, --shard, --seeds as for a table; the
// trials train with the table's first seed unless options.seeds), choose each cell's
// winner on val and write <out>/tuned.pbtxt, trials.csv and chosen.md, where out is
// options.out_dir or <cache_dir>/tune/<profile>/<name>. Returns out (empty for a dry run).
absl::StatusOr<std::string> Tune(const std::string& name, const TuneOptions& tune,
                                 TableOptions options, const RunFunction& run);

}  // namespace wsol::tables

#endif  // PAPER_TABLES_LIB_TUNING_H_
