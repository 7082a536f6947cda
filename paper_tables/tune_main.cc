// Chooses a table's hyper-parameters the way wsolevaluation does (paper_tables/lib/tuning.h):
//   bazel run //paper_tables:tune -- --table=table1 --dry_run       # the trials and their cost
//   bazel run //paper_tables:tune -- --table=table1 --cells=cam,adl # tune two methods' rows
//   bazel run //paper_tables:table1 -- --tuned=wsol_cache/tune/embedded/table1/tuned.pbtxt
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "paper_tables/lib/tuning.h"
#include "paper_tables/table_flags.h"
#include "wsol/util/command_line.h"

ABSL_FLAG(std::vector<std::string>, cells, {},
          "The table's rows to tune: GROUP (its rows with and without ER) or GROUP:VARIANT, "
          "e.g. cam,adl:er (default: every row).");
ABSL_FLAG(int, trials, 0, "Trials per cell (default: the search space's, 30 as wsolevaluation).");
ABSL_FLAG(uint64_t, search_seed, 0,
          "Seed of the draws: a trial's values depend on it, its cell and its index only.");
ABSL_FLAG(std::string, search_space, "paper_tables/tuning/search_space.pbtxt",
          "The parameters, their ranges and sources (a SearchSpace file in the workspace).");

int main(int argc, char** argv) {
  wsol::ParseCommandLineOrExit(
      argc, argv,
      "Tunes a table's hyper-parameters by wsolevaluation's protocol (Choe et al., CVPR "
      "2020): for each cell (row) of --table, N random-search trials draw the learning rate, "
      "weight decay, lambda (ER rows) and the method's own parameters from --search_space "
      "(each range with its source; which are wsolevaluation's and which are ours is written "
      "there), train on train with the table's first seed, and are scored on the val split "
      "by localization (MaxBoxAccV2 on box data, PxAP on mask data); the test split is "
      "never read. The best trial per cell is written to <out>/tuned.pbtxt, which a table "
      "applies with --tuned=FILE; every trial's values and scores go to trials.csv. Trials "
      "are ordinary cached runs: --jobs, --shard and a rerun after a kill reuse them. The "
      "cost (cells x trials x a run) is printed before anything trains; --dry_run stops "
      "there.\n  tune --table=table1 [--cells=cam,adl:er] [--trials=30] [--dry_run]",
      wsol::tables::TableFlagHint);
  wsol::tables::TableOptions options;
  if (std::optional<int> code = wsol::tables::ExitCodeOrOptions(&options)) return *code;
  const std::string name = wsol::tables::TableNameFromFlags("");
  if (name.empty()) {
    std::cerr << "--table is required, e.g. --table=table1\n";
    return 2;
  }
  wsol::tables::TuneOptions tune;
  tune.search_space = absl::GetFlag(FLAGS_search_space);
  tune.trials = absl::GetFlag(FLAGS_trials);
  tune.search_seed = absl::GetFlag(FLAGS_search_seed);
  tune.cells = absl::GetFlag(FLAGS_cells);
  absl::StatusOr<std::string> out =
      wsol::tables::Tune(name, tune, options, wsol::tables::RunFunctionFor(options));
  if (!out.ok()) {
    std::cerr << "error: " << out.status().message() << "\n";
    return 1;
  }
  if (!options.dry_run) std::cout << "\noutputs: " << *out << "\n";
  return 0;
}
