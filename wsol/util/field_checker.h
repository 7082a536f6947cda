// field_checker.h
//
// FieldChecker collects the range errors of a spec message, each naming the field's full
// path, the value and what was expected ("method.adl.drop_rate = 2: expected in [0, 1]"),
// so one pass reports every bad field. The spec loader and each component table's
// validator (regularizers, methods, backbones) use it.
//
//   FieldChecker check("method.adl");
//   check.InUnit("drop_rate", spec.drop_rate());
//   return check.Result();
#ifndef WSOL_UTIL_FIELD_CHECKER_H_
#define WSOL_UTIL_FIELD_CHECKER_H_

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace wsol {

class FieldChecker {
 public:
  // `prefix` ("method.adl") is put before every field name; empty for full paths.
  explicit FieldChecker(std::string prefix = "") : prefix_(std::move(prefix)) {}

  // Fails unless `ok`, with "<path> = <value>: expected <expected>".
  // `value` as written: integers in full, floating point to six significant digits.
  template <typename Number>
  void Range(bool ok, absl::string_view field, Number value, absl::string_view expected) {
    if (!ok) errors_.push_back(absl::StrCat(Path(field), " = ", value, ": expected ", expected));
  }
  void InUnit(absl::string_view field, double v) {
    Range(std::isfinite(v) && v >= 0.0 && v <= 1.0, field, v, "in [0, 1]");
  }
  void Positive(absl::string_view field, double v) {
    Range(std::isfinite(v) && v > 0.0, field, v, "> 0");
  }
  void NonNegative(absl::string_view field, double v) {
    Range(std::isfinite(v) && v >= 0.0, field, v, ">= 0");
  }
  // A failure in the checker's own words.
  void Fail(std::string message) { errors_.push_back(std::move(message)); }
  // The full path of `field`.
  std::string Path(absl::string_view field) const {
    return prefix_.empty() ? std::string(field) : absl::StrCat(prefix_, ".", field);
  }
  // Adds the failures of another check (one message per line).
  void Add(const absl::Status& status) {
    if (!status.ok()) errors_.push_back(std::string(status.message()));
  }
  absl::Status Result() const {
    if (errors_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(errors_, "\n"));
  }

 private:
  std::string prefix_;
  std::vector<std::string> errors_;
};

}  // namespace wsol

#endif  // WSOL_UTIL_FIELD_CHECKER_H_
