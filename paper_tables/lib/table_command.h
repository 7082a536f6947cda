// table_command.h
//
// The one entry point of a table binary (paper_tables/table_main.cc): find the table's
// spec for the profile, plan its runs once, run or reuse them, render the table and its
// figure.
//
//   absl::StatusOr<std::vector<std::string>> known = TableNames(options);  // table_runner.h
//   if (absl::c_find(*known, name) == known->end()) { /* usage error, list *known */ }
//   absl::StatusOr<std::string> out = RegenerateTable(name, options, run);
#ifndef PAPER_TABLES_LIB_TABLE_COMMAND_H_
#define PAPER_TABLES_LIB_TABLE_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "paper_tables/lib/table_runner.h"

namespace wsol::tables {

// LoadTableSpecFor, PlanRuns, RunTable, RenderFigure; returns the output folder (empty
// for a dry run).
absl::StatusOr<std::string> RegenerateTable(const std::string& name, const TableOptions& options,
                                            const RunFunction& run);

}  // namespace wsol::tables

#endif  // PAPER_TABLES_LIB_TABLE_COMMAND_H_
