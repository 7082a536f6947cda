// backbone_registry.h
//
// The table of backbones by name; the spec's backbone.architecture selects one.
//
//   auto net = wsol::backbones::CreateBackbone("vgg16", {.num_classes = 10,
//                                                        .width_multiplier = 0.25});
#ifndef WSOL_BACKBONES_BACKBONE_REGISTRY_H_
#define WSOL_BACKBONES_BACKBONE_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "wsol/backbones/backbone.h"

namespace wsol::backbones {

struct BackboneEntry {
  std::string name;
  std::shared_ptr<Backbone> (*make)(const BackboneOptions&);
};

// Every backbone, in a fixed order.
const std::vector<BackboneEntry>& BackboneTable();

std::vector<std::string> BackboneNames();

// Builds the named backbone; an unknown name throws c10::ValueError listing valid names.
std::shared_ptr<Backbone> CreateBackbone(const std::string& name, const BackboneOptions& options);

}  // namespace wsol::backbones

#endif  // WSOL_BACKBONES_BACKBONE_REGISTRY_H_
