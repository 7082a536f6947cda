// torch_status.h
//
// The one bridge from LibTorch's exceptions to absl::Status, for edge code that calls
// the modelling core (which reports errors as c10::Error, as LibTorch does):
// c10::ValueError (a bad argument) becomes InvalidArgument, any other c10::Error or
// std::exception Internal, each message prefixed with what was being done.
//
//   WSOL_RETURN_IF_ERROR(wsol::TorchStatus("backbone", [&] { net = CreateBackbone(...); }));
#ifndef WSOL_UTIL_TORCH_STATUS_H_
#define WSOL_UTIL_TORCH_STATUS_H_

#include <c10/util/Exception.h>

#include <exception>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace wsol {

// Runs `fn`, turning what it throws into a Status that names `what`.
template <typename Fn>
absl::Status TorchStatus(const std::string& what, Fn&& fn) {
  try {
    std::forward<Fn>(fn)();
    return absl::OkStatus();
  } catch (const c10::ValueError& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", e.what_without_backtrace()));
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat(what, ": ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(what, ": ", e.what()));
  }
}

}  // namespace wsol

#endif  // WSOL_UTIL_TORCH_STATUS_H_
