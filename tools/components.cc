#include "tools/components.h"

#include "baselines/method_builder.h"
#include "datasets/splits.h"
#include "wsol/backbones/backbone_builder.h"
#include "wsol/regularizers/regularizer_builder.h"

namespace wsol::tools {

train::Components StandardComponents() {
  train::Components components;
  components.build_method = &baselines::BuildMethod;
  components.validate_method = &baselines::ValidateMethod;
  components.load_splits = &datasets::LoadSplits;
  return components;
}

spec::ComponentValidators StandardValidators() {
  spec::ComponentValidators validators;
  validators.backbone = &backbones::ValidateBackbone;
  validators.method = &baselines::ValidateMethod;
  validators.regularizer = &regularizers::ValidateRegularizer;
  return validators;
}

}  // namespace wsol::tools
