// status_matchers.h
//
// GoogleTest matchers for absl::Status and absl::StatusOr (testonly). Debian's Abseil has
// none.
//
//   EXPECT_THAT(LoadSpec("x"), IsOk());
//   EXPECT_THAT(LoadSpec("y"), StatusIs(absl::StatusCode::kInvalidArgument,
//                                       HasSubstr("optimizer.lr")));
#ifndef WSOL_UTIL_STATUS_MATCHERS_H_
#define WSOL_UTIL_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace wsol::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace internal

MATCHER(IsOk, "is OK") {
  const absl::Status& status = internal::GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status;
  return status.ok();
}

MATCHER_P(StatusIs, code, "has status code " + ::testing::PrintToString(code)) {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has status code " + ::testing::PrintToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::Matches(message_matcher)(std::string(status.message()));
}

}  // namespace wsol::testing

#endif  // WSOL_UTIL_STATUS_MATCHERS_H_
