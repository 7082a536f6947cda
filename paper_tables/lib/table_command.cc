#include "paper_tables/lib/table_command.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "paper_tables/lib/figures.h"
#include "wsol/util/status_macros.h"

namespace wsol::tables {

absl::StatusOr<std::string> RegenerateTable(const std::string& name, const TableOptions& options,
                                            const RunFunction& run) {
  WSOL_ASSIGN_OR_RETURN(proto::TableSpec table, LoadTableSpecFor(name, options));
  WSOL_ASSIGN_OR_RETURN(std::vector<PlannedRun> runs, PlanRuns(table, options));
  WSOL_ASSIGN_OR_RETURN(std::string out_dir, RunTable(table, runs, options, run));
  if (options.dry_run) return out_dir;
  WSOL_RETURN_IF_ERROR(RenderFigure(table, runs, options, out_dir));
  return out_dir;
}

}  // namespace wsol::tables
