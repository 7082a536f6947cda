// checkpoint_layouts_testing.h
//
// State dicts in the layouts users have for the paper's backbones, written with the
// exact names and shapes of their source code at width 1 and 1000 classes (random
// values, seeded): pytorchcv's preresnet18 (pytorchcv/models/preresnet.py), timm's
// seresnet50 (timm/models/resnet.py with attn_layer='se') and timm's legacy_seresnet50
// (timm/models/senet.py). The names are spelled out from those files, independently of
// the importer's rules, so tests of the importer (and end-to-end tests that need
// "pretrained" weights without a download) can use them.
//
//   WriteStateDict(PytorchcvPreResNet18(), dir + "/preresnet18.pth");
#ifndef WSOL_BACKBONES_CHECKPOINT_LAYOUTS_TESTING_H_
#define WSOL_BACKBONES_CHECKPOINT_LAYOUTS_TESTING_H_

#include "wsol/backbones/state_dict_io.h"

namespace wsol::backbones::testing {

// pytorchcv's preresnet18, without num_batches_tracked counters.
StateDict PytorchcvPreResNet18();

// timm's seresnet50, or with `legacy` its legacy_seresnet50 (Cadene's names: layer0.conv1,
// se_module, last_linear); both with num_batches_tracked counters.
StateDict TimmSeResNet50(bool legacy);

}  // namespace wsol::backbones::testing

#endif  // WSOL_BACKBONES_CHECKPOINT_LAYOUTS_TESTING_H_
