// Regenerates one table or figure of the paper:
//   bazel run //paper_tables:table1                        # embedded profile, CPU
//   bazel run //paper_tables:table1 -- --profile=paper --data_root=/data --device=cuda
//   bazel run //paper_tables:table2 -- --dry_run           # list runs and cost, train nothing
//   bazel run //paper_tables:table1 -- --shard=0/2         # half the runs (share --cache_dir)
//   bazel run //paper_tables:table1 -- --tuned=FILE        # values chosen by //paper_tables:tune
// Each target passes --table=<name>; the spec is paper_tables/specs[/paper]/<name>.pbtxt.
// The binary only parses flags (paper_tables/table_flags.h) and wires the standard
// components into RegenerateTable (paper_tables/lib/table_command.h).
#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_join.h"
#include "paper_tables/lib/table_command.h"
#include "paper_tables/lib/table_runner.h"
#include "paper_tables/lib/tuning.h"
#include "paper_tables/table_flags.h"
#include "wsol/util/command_line.h"
#include "wsol/util/paths.h"

ABSL_FLAG(std::string, tuned, "",
          "Hyper-parameters chosen on val by //paper_tables:tune (its tuned.pbtxt): each row "
          "it names trains with the winning trial's values.");

int main(int argc, char** argv) {
  wsol::ParseCommandLineOrExit(
      argc, argv,
      "Regenerates a table or figure of 'Entropy Regularization for WSOL': expands its spec "
      "into runs, trains or reuses them (cached by spec hash), prints the Markdown table and "
      "writes CSV, JSON and PNG files.",
      wsol::tables::TableFlagHint);
  wsol::tables::TableOptions options;
  if (std::optional<int> code = wsol::tables::ExitCodeOrOptions(&options)) return *code;
  const std::string name = wsol::tables::TableNameFromFlags(argv[0]);
  absl::StatusOr<std::vector<std::string>> known = wsol::tables::TableNames(options);
  if (!known.ok()) {
    std::cerr << "error: " << known.status().message() << "\n";
    return 1;
  }
  if (std::find(known->begin(), known->end(), name) == known->end()) {
    // An unknown table name is a usage error.
    std::cerr << "unknown table \"" << name << "\" for --profile=" << options.profile
              << "; known: " << absl::StrJoin(*known, ", ") << "\n";
    return 2;
  }
  if (const std::string tuned = absl::GetFlag(FLAGS_tuned); !tuned.empty()) {
    if (absl::Status status =
            wsol::tables::UseTunedValues(wsol::FromInvocationDir(tuned), name, &options);
        !status.ok()) {
      std::cerr << "error: " << status.message() << "\n";
      return 1;
    }
  }
  const wsol::tables::RunFunction run = wsol::tables::RunFunctionFor(options);
  absl::StatusOr<std::string> out = wsol::tables::RegenerateTable(name, options, run);
  if (!out.ok()) {
    std::cerr << "error: " << out.status().message() << "\n";
    return 1;
  }
  if (options.dry_run) return 0;
  std::cout << "\noutputs: " << *out << "\n";
  return 0;
}
