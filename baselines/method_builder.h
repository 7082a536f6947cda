// method_builder.h
//
// Turns the spec's Method message into a Method: the set oneof field names the table
// entry; every scalar field of its message (defaults included) becomes a parameter.
// An unset oneof means "cam".
#ifndef BASELINES_METHOD_BUILDER_H_
#define BASELINES_METHOD_BUILDER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "wsol/methods/method.h"
#include "wsol/proto/method.pb.h"

namespace wsol::baselines {

absl::StatusOr<std::shared_ptr<methods::Method>> BuildMethod(const proto::Method& spec);

}  // namespace wsol::baselines

#endif  // BASELINES_METHOD_BUILDER_H_
