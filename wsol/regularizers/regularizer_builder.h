// regularizer_builder.h
//
// Turns the spec's Regularizer message into a Regularizer: the set oneof field names the
// table entry, and its one float field (lambda, gamma or beta) is the weight. An unset
// oneof means "none". Errors are absl::Status values.
#ifndef WSOL_REGULARIZERS_REGULARIZER_BUILDER_H_
#define WSOL_REGULARIZERS_REGULARIZER_BUILDER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "wsol/proto/regularizer.pb.h"
#include "wsol/regularizers/regularizer.h"

namespace wsol::regularizers {

absl::StatusOr<std::unique_ptr<Regularizer>> BuildRegularizer(const proto::Regularizer& spec);

}  // namespace wsol::regularizers

#endif  // WSOL_REGULARIZERS_REGULARIZER_BUILDER_H_
