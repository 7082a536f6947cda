#include "wsol/backbones/backbone_builder.h"

#include "wsol/backbones/backbone_registry.h"
#include "wsol/util/field_checker.h"
#include "wsol/util/name_table.h"

namespace wsol::backbones {

absl::Status ValidateBackbone(const proto::Backbone& spec) {
  FieldChecker check("backbone");
  if (FindByName(BackboneTable(), spec.architecture()) == nullptr) {
    check.Fail(absl::StrCat("backbone.architecture = \"", spec.architecture(),
                            "\": ", UnknownName("backbone", spec.architecture(), BackboneTable())));
  }
  check.Positive("width_multiplier", spec.width_multiplier());
  return check.Result();
}

}  // namespace wsol::backbones
