// oneof_table.h
//
// A component table keyed by a spec oneof's case: one row per oneof field, each with the
// field's name, a check of its sub-message and a build from it. The method table
// (baselines/method_builder) and the regularizer table (wsol/regularizers/
// regularizer_builder) are both this template; the lookup, the "no row" error, the field
// path of a check and the exceptions of a build are handled here once.
//
//   using RegularizerRow = OneofRow<proto::Regularizer, proto::Regularizer::RegularizerCase,
//                                   std::unique_ptr<Regularizer>>;
//   absl::Status valid = ValidateOneof("regularizer", RegularizerTable(), kase, spec);
//   // "regularizer.jsd.lambda = -1: expected >= 0"
#ifndef WSOL_UTIL_ONEOF_TABLE_H_
#define WSOL_UTIL_ONEOF_TABLE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "wsol/util/field_checker.h"
#include "wsol/util/torch_status.h"

namespace wsol {

template <typename Spec, typename Case, typename Product>
struct OneofRow {
  Case kase;
  std::string name;  // The oneof field's name, also the component's Name().
  // Checks the row's sub-message into `check` (whose prefix is "<field>.<name>").
  void (*validate)(const Spec& spec, FieldChecker& check);
  // Builds the component from a valid sub-message.
  Product (*build)(const Spec& spec);
};

// The row of `kase`; nullptr when the table has none.
template <typename Row, typename Case>
const Row* FindOneofRow(const std::vector<Row>& rows, Case kase) {
  for (const Row& row : rows) {
    if (row.kase == kase) return &row;
  }
  return nullptr;
}

// Runs the check of `kase`'s row on `spec`. `field` is the oneof's name in the spec
// ("method"); errors name "<field>.<row>.<sub-field>", or the case when it has no row.
template <typename Row, typename Case, typename Spec>
absl::Status ValidateOneof(const std::string& field, const std::vector<Row>& rows, Case kase,
                           const Spec& spec) {
  const Row* row = FindOneofRow(rows, kase);
  if (row == nullptr) {
    return absl::UnimplementedError(absl::StrCat(field, ": oneof case ", static_cast<int>(kase),
                                                 " has no row in the ", field, " table"));
  }
  FieldChecker check(absl::StrCat(field, ".", row->name));
  row->validate(spec, check);
  return check.Result();
}

// Validates, then builds through `kase`'s row; what the build throws becomes a Status
// naming "<field>.<row>".
template <typename Row, typename Case, typename Spec>
auto BuildOneof(const std::string& field, const std::vector<Row>& rows, Case kase, const Spec& spec)
    -> absl::StatusOr<decltype(rows.front().build(spec))> {
  if (absl::Status valid = ValidateOneof(field, rows, kase, spec); !valid.ok()) return valid;
  const Row* row = FindOneofRow(rows, kase);
  decltype(row->build(spec)) product;
  if (absl::Status built =
          TorchStatus(absl::StrCat(field, ".", row->name), [&] { product = row->build(spec); });
      !built.ok()) {
    return built;
  }
  return product;
}

}  // namespace wsol

#endif  // WSOL_UTIL_ONEOF_TABLE_H_
