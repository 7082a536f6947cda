// components.h
//
// The standard components the binaries wire into the trainer (wsol/train/components.h):
// baselines/' method table and datasets/' LoadSplits. This is the one library that joins
// the layers; the trainer itself depends on wsol/ only.
//
//   wsol::train::TrainerOptions options;
//   options.components = wsol::tools::StandardComponents();
#ifndef TOOLS_COMPONENTS_H_
#define TOOLS_COMPONENTS_H_

#include "wsol/spec/spec_loader.h"
#include "wsol/train/components.h"

namespace wsol::tools {

train::Components StandardComponents();

// The spec validators of every component kind (backbones, regularizers, methods), for
// spec::LoadExperimentFile.
spec::ComponentValidators StandardValidators();

}  // namespace wsol::tools

#endif  // TOOLS_COMPONENTS_H_
