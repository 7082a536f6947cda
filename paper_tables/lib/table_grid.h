// table_grid.h
//
// Expands a table's grids (TableSpec.grid) into rows: the product of the axes, first axis
// outermost, each cell a run composed of the grid's fragments and each value's, with the
// patterns filled in. A grid of backbones x data sets x methods x {none, ER} is Table 1:
//
//   grid {
//     axis { name: "dataset" value { name: "cub" label: "CUB" } ... }
//     axis { name: "method" value { name: "cam" label: "CAM" } ... }
//     fragment: "datasets/specs/{dataset}.pbtxt"
//     fragment: "baselines/specs/methods/{method}.pbtxt"
//     label: "{method.label} ({dataset.label})"
//   }
#ifndef PAPER_TABLES_LIB_TABLE_GRID_H_
#define PAPER_TABLES_LIB_TABLE_GRID_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wsol/proto/table.pb.h"

namespace wsol::tables {

// Appends every grid's rows to table->runs (after the rows written out) and clears the
// grids. Errors name `source` (the table's file), the grid and the pattern.
absl::Status ExpandGrids(const std::string& source, proto::TableSpec* table);

}  // namespace wsol::tables

#endif  // PAPER_TABLES_LIB_TABLE_GRID_H_
