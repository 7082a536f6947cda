// regularizer_builder.h
//
// The regularizer table: one row per field of the spec's `regularizer` oneof, keyed by
// its case. A row validates its typed sub-message (errors name the field path,
// "regularizer.jsd.lambda = -1: expected >= 0") and builds the regularizer from it
// through the regularizer's own options struct. An unset oneof means "none". This is
// the proto edge of the package; the regularizers themselves know no protobuf.
//
// Adding a regularizer: its message and field in wsol/proto/regularizer.proto, its
// header, source and test here, and one row in RegularizerTable(); the conformance tests
// (regularizers_test) run every row and fail for a oneof field without one.
//
//   WSOL_RETURN_IF_ERROR(ValidateRegularizer(spec.regularizer()));
//   WSOL_ASSIGN_OR_RETURN(std::unique_ptr<Regularizer> r, BuildRegularizer(spec.regularizer()));
#ifndef WSOL_REGULARIZERS_REGULARIZER_BUILDER_H_
#define WSOL_REGULARIZERS_REGULARIZER_BUILDER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wsol/proto/regularizer.pb.h"
#include "wsol/regularizers/regularizer.h"
#include "wsol/util/field_checker.h"
#include "wsol/util/oneof_table.h"

namespace wsol::regularizers {

// A row: the oneof case, the field's name (also Regularizer::Name()), the check of the
// sub-message and the build from it (wsol/util/oneof_table.h).
using RegularizerRow =
    OneofRow<proto::Regularizer, proto::Regularizer::RegularizerCase, std::unique_ptr<Regularizer>>;

const std::vector<RegularizerRow>& RegularizerTable();

// The row of the set oneof field ("none" when unset); nullptr for a field without one.
const RegularizerRow* FindRegularizerRow(const proto::Regularizer& spec);

absl::Status ValidateRegularizer(const proto::Regularizer& spec);
absl::StatusOr<std::unique_ptr<Regularizer>> BuildRegularizer(const proto::Regularizer& spec);

}  // namespace wsol::regularizers

#endif  // WSOL_REGULARIZERS_REGULARIZER_BUILDER_H_
