// table_flags.h
//
// The flags the table binaries and //paper_tables:tune share (--profile, --cache_dir,
// --jobs, --shard, --set, --seeds, --dry_run, ...) and what they make: the TableOptions
// and the function that trains one run (in this process, or with --jobs > 1 each run in a
// child process of this binary, started with --run_planned).
//
//   wsol::ParseCommandLineOrExit(argc, argv, usage, wsol::tables::TableFlagHint);
//   wsol::tables::TableOptions options;
//   if (std::optional<int> code = wsol::tables::ExitCodeOrOptions(&options)) return *code;
//   wsol::tables::RunFunction run = wsol::tables::RunFunctionFor(options);
#ifndef PAPER_TABLES_TABLE_FLAGS_H_
#define PAPER_TABLES_TABLE_FLAGS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "paper_tables/lib/table_runner.h"

namespace wsol::tables {

// With --run_planned=FILE (what --jobs starts): trains that one run and returns the exit
// code (0, or 1 after printing the error); otherwise nothing.
std::optional<int> RunPlannedIfAsked();

// The options the flags give. InvalidArgument names the flag and what it expects (a usage
// error: exit 2).
absl::StatusOr<TableOptions> TableOptionsFromFlags();

// What a binary's main does after parsing: with --run_planned, trains that run and returns
// its exit code; else fills *options from the flags and returns nothing, or prints the
// usage error and returns 2.
std::optional<int> ExitCodeOrOptions(TableOptions* options);

// For ParseCommandLineOrExit: a stray "table2" or "figure_entropy" meant --table.
std::string TableFlagHint(absl::string_view word);

// --table, or the binary's own name (argv0's file name) when --table is empty.
std::string TableNameFromFlags(const std::string& argv0);

// Trains one run with the standard components: in this process with one job, else in a
// child process of this binary (and stopping this process then stops the children).
RunFunction RunFunctionFor(const TableOptions& options);

}  // namespace wsol::tables

#endif  // PAPER_TABLES_TABLE_FLAGS_H_
