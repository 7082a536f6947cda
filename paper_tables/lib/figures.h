// figures.h
//
// The paper's figures, drawn from finished runs of a table spec:
//   figure_entropy       mean prediction entropy against localization and classification,
//                        across lambda (final models) and across training epochs
//   figure_feature_maps  channel-mean feature maps of each conv stage, baseline vs ER
//   figure_qualitative   per image: input with predicted (green) and GT (red) boxes | CAM
//                        heat map | overlay, baseline vs ER, including a failure case
// Tables get no figure. Each writes PNG files and the CSV behind them into out_dir.
#ifndef PAPER_TABLES_LIB_FIGURES_H_
#define PAPER_TABLES_LIB_FIGURES_H_

#include <string>

#include "absl/status/status.h"
#include "paper_tables/lib/table_runner.h"

namespace wsol::tables {

absl::Status RenderFigures(const proto::TableSpec& table, const TableOptions& options,
                           const std::string& out_dir);

}  // namespace wsol::tables

#endif  // PAPER_TABLES_LIB_FIGURES_H_
