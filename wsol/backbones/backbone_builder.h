// backbone_builder.h
//
// The spec's `backbone { ... }` checked against the backbone table (backbone_registry.h):
// the architecture must name a row ("backbone.architecture = "resnet51": unknown backbone
// "resnet51"; valid backbones: resnet50, ...") and the width multiplier be positive.
// The proto edge of the package; the backbones know no protobuf.
#ifndef WSOL_BACKBONES_BACKBONE_BUILDER_H_
#define WSOL_BACKBONES_BACKBONE_BUILDER_H_

#include "absl/status/status.h"
#include "wsol/proto/backbone.pb.h"

namespace wsol::backbones {

absl::Status ValidateBackbone(const proto::Backbone& spec);

}  // namespace wsol::backbones

#endif  // WSOL_BACKBONES_BACKBONE_BUILDER_H_
