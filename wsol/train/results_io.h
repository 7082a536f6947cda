// results_io.h
//
// results.json of a run: wsol.proto.RunResults as JSON (protobuf's JSON mapping, field
// names as in results.proto), written atomically.
#ifndef WSOL_TRAIN_RESULTS_IO_H_
#define WSOL_TRAIN_RESULTS_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wsol/proto/results.pb.h"

namespace wsol::train {

// Reads <run_dir>/results.json (NotFound when absent, DataLoss when unreadable).
absl::StatusOr<proto::RunResults> ReadResults(const std::string& run_dir);
// Writes <run_dir>/results.json through a temporary file and a rename.
absl::Status WriteResults(const proto::RunResults& results, const std::string& run_dir);

}  // namespace wsol::train

#endif  // WSOL_TRAIN_RESULTS_IO_H_
