#include "wsol/backbones/backbone_registry.h"

#include <c10/util/Exception.h>

#include "wsol/backbones/inception_v3.h"
#include "wsol/backbones/resnet.h"
#include "wsol/backbones/vgg16.h"
#include "wsol/util/name_table.h"

namespace wsol::backbones {

const std::vector<BackboneEntry>& BackboneTable() {
  static const auto* table = new std::vector<BackboneEntry>{
      {"resnet50", &MakeResNet50},        {"vgg16", &MakeVgg16},
      {"preresnet18", &MakePreResNet18},  {"se_resnet50", &MakeSeResNet50},
      {"inception_v3", &MakeInceptionV3},
  };
  return *table;
}

std::vector<std::string> BackboneNames() { return NamesOf(BackboneTable()); }

std::shared_ptr<Backbone> CreateBackbone(const std::string& name, const BackboneOptions& options) {
  const BackboneEntry* entry = FindByName(BackboneTable(), name);
  TORCH_CHECK_VALUE(entry != nullptr, UnknownName("backbone", name, BackboneTable()));
  return entry->make(options);
}

}  // namespace wsol::backbones
