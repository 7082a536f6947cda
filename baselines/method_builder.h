// method_builder.h
//
// The method table: one row per field of the spec's `method` oneof, keyed by its case. A
// row validates its typed sub-message (errors name the field path,
// "method.adl.drop_rate = 2: expected in [0, 1]") and builds the method from it through
// the method's own constructor or options struct. An unset oneof means "cam". This is
// the proto edge of the package; the methods themselves know no protobuf.
//
// Adding a method: its message and field in wsol/proto/method.proto, its header, source
// and test here (implementing wsol/methods/method.h), and one row in MethodTable(); the
// conformance tests (methods_test) run every row and fail for a oneof field without one.
//
//   WSOL_ASSIGN_OR_RETURN(std::shared_ptr<methods::Method> m, BuildMethod(spec.method()));
#ifndef BASELINES_METHOD_BUILDER_H_
#define BASELINES_METHOD_BUILDER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wsol/methods/method.h"
#include "wsol/proto/method.pb.h"
#include "wsol/util/field_checker.h"
#include "wsol/util/oneof_table.h"

namespace wsol::baselines {

// A row: the oneof case, the field's name (also Method::Name()), the check of the
// sub-message and the build from it (wsol/util/oneof_table.h).
using MethodRow =
    OneofRow<proto::Method, proto::Method::MethodCase, std::shared_ptr<methods::Method>>;

const std::vector<MethodRow>& MethodTable();
std::vector<std::string> MethodNames();

// The row of the set oneof field ("cam" when unset); nullptr for a field without one.
const MethodRow* FindMethodRow(const proto::Method& spec);

absl::Status ValidateMethod(const proto::Method& spec);
absl::StatusOr<std::shared_ptr<methods::Method>> BuildMethod(const proto::Method& spec);

}  // namespace wsol::baselines

#endif  // BASELINES_METHOD_BUILDER_H_
