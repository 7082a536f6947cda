#include "wsol/backbones/backbone_registry.h"

#include <c10/util/Exception.h>

#include "wsol/backbones/inception_v3.h"
#include "wsol/backbones/resnet.h"
#include "wsol/backbones/vgg16.h"

namespace wsol::backbones {

const std::vector<BackboneEntry>& BackboneTable() {
  static const auto* table = new std::vector<BackboneEntry>{
      {"resnet50", &MakeResNet50},
      {"vgg16", &MakeVgg16},
      {"preresnet18", &MakePreResNet18},
      {"se_resnet50", &MakeSeResNet50},
      {"inception_v3", &MakeInceptionV3},
  };
  return *table;
}

std::vector<std::string> BackboneNames() {
  std::vector<std::string> names;
  for (const BackboneEntry& entry : BackboneTable()) names.push_back(entry.name);
  return names;
}

std::shared_ptr<Backbone> CreateBackbone(const std::string& name, const BackboneOptions& options) {
  for (const BackboneEntry& entry : BackboneTable()) {
    if (entry.name == name) return entry.make(options);
  }
  std::string valid;
  for (const std::string& n : BackboneNames()) valid += (valid.empty() ? "" : ", ") + n;
  TORCH_CHECK_VALUE(false, "unknown backbone \"", name, "\"; valid backbones: ", valid);
}

}  // namespace wsol::backbones
