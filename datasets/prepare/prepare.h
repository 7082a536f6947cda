// prepare.h
//
// PrepareDataset runs the preparer registered under a dataset name (the names of
// wsol.proto.Dataset.name): "CUB", "ILSVRC", "OpenImages", "Oxford", "VOC". Adding a
// dataset is one preparer target and one entry in the table in prepare.cc.
//
//   absl::StatusOr<wsol::datasets::PrepareResult> result =
//       wsol::datasets::PrepareDataset("VOC", {.source = "VOCdevkit", .out = "data/VOC"});
#ifndef DATASETS_PREPARE_PREPARE_H_
#define DATASETS_PREPARE_PREPARE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "datasets/prepare/preparer.h"

namespace wsol::datasets {

// PreparerNames lists the registered names.
std::vector<std::string> PreparerNames();

// PrepareDataset finds `name` (case-insensitive) and runs it; an unknown name is
// InvalidArgument listing the valid ones.
absl::StatusOr<PrepareResult> PrepareDataset(const std::string& name,
                                             const PrepareOptions& options);

}  // namespace wsol::datasets

#endif  // DATASETS_PREPARE_PREPARE_H_
