// figures.h
//
// The paper's figures, drawn from finished runs of a table spec:
//   figure_entropy       mean prediction entropy against localization and classification,
//                        across lambda (final models) and across training epochs
//   figure_feature_maps  channel-mean feature maps of each conv stage, baseline vs ER
//   figure_qualitative   per image: input with predicted (green) and GT (red) boxes | CAM
//                        heat map | overlay, baseline vs ER, including a failure case
// A table spec picks its figure with `figure:` (tables have none). Each writes PNG files
// and the CSV behind them into out_dir. RegenerateTable is the one entry point of a table
// binary: load the spec for the profile, plan the runs once, run them, render the table
// and its figure.
#ifndef PAPER_TABLES_LIB_FIGURES_H_
#define PAPER_TABLES_LIB_FIGURES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "paper_tables/lib/table_runner.h"

namespace wsol::tables {

// Draws table.figure() from the finished ones of `runs` (PlanRuns of `table`).
absl::Status RenderFigure(const proto::TableSpec& table, const std::vector<PlannedRun>& runs,
                          const TableOptions& options, const std::string& out_dir);

// LoadTableSpecFor, PlanRuns, RunTable, RenderFigure; returns the output folder (empty
// for a dry run).
absl::StatusOr<std::string> RegenerateTable(const std::string& name, const TableOptions& options,
                                            const RunFunction& run);

}  // namespace wsol::tables

#endif  // PAPER_TABLES_LIB_FIGURES_H_
