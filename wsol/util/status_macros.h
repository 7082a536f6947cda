// status_macros.h
//
// WSOL_RETURN_IF_ERROR and WSOL_ASSIGN_OR_RETURN: early return on a non-OK absl::Status.
// Debian's Abseil (20220623) ships no status macros, so we define our own.
//
//   absl::Status Load(const std::string& path) {
//     WSOL_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     WSOL_RETURN_IF_ERROR(Check(text));
//     return absl::OkStatus();
//   }
#ifndef WSOL_UTIL_STATUS_MACROS_H_
#define WSOL_UTIL_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define WSOL_RETURN_IF_ERROR(expr)               \
  do {                                           \
    const ::absl::Status wsol_status_ = (expr);  \
    if (!wsol_status_.ok()) return wsol_status_; \
  } while (false)

#define WSOL_STATUS_CONCAT_INNER_(a, b) a##b
#define WSOL_STATUS_CONCAT_(a, b) WSOL_STATUS_CONCAT_INNER_(a, b)

#define WSOL_ASSIGN_OR_RETURN(lhs, expr) \
  WSOL_ASSIGN_OR_RETURN_IMPL_(WSOL_STATUS_CONCAT_(wsol_statusor_, __LINE__), lhs, expr)

#define WSOL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                \
  if (!statusor.ok()) return statusor.status();          \
  lhs = std::move(statusor).value()

#endif  // WSOL_UTIL_STATUS_MACROS_H_
