// inception_v3.h
//
// InceptionV3-CAM, wsolevaluation's CAM variant of InceptionV3 (its InceptionCam):
//   - torchvision's stem (Conv2d_1a_3x3 ... Conv2d_4a_3x3) with Conv2d_1a_3x3 padded by 1
//     and the two stem max pools padded by 1 with ceil mode;
//   - Mixed_5b/5c/5d, a 3x3 stride-2 max pool (dropped with large_feature_map), then
//     Mixed_6a made non-strided (stride 1, padding 1) and Mixed_6b ... Mixed_6e;
//     Mixed_7*, AuxLogits and torchvision's fc are gone;
//   - an added head: dropout, SPG_A3_1b (3x3 conv 768 -> 1024 + ReLU), dropout,
//     SPG_A3_2b (3x3 conv 1024 -> 1024 + ReLU), dropout, SPG_A4 (1x1 conv 1024 -> C)
//     and global average pooling. The three dropouts are those of wsolevaluation's CAM
//     and SPG variants; its ADL and ACoL variants have none (SetHeadDropout(false)). GAP commutes
//     with the 1x1 conv, so we read the features (K = 1024) after SPG_A3_2b and classify with GAP +
//     SPG_A4 as a linear layer.
// At 224 px the feature map is 1024 x 14 x 14 (28 x 28 with large_feature_map).
//
// Module names match torchvision's inception_v3 state dict where the layer exists there
// (Conv2d_1a_3x3.conv.weight, Mixed_5b.branch1x1.bn.running_mean, ...) and
// wsolevaluation's for the head (SPG_A3_1b.0.weight, SPG_A4.bias), so both checkpoints
// import name for name. BatchNorm eps is 0.001 as in torchvision.
// The new layers (10x learning rate in wsolevaluation) are the head: SPG_A3_1b,
// SPG_A3_2b, SPG_A4. Hooked blocks: Mixed_5b ... Mixed_6e, SPG_A3_1b, SPG_A3_2b.
#ifndef WSOL_BACKBONES_INCEPTION_V3_H_
#define WSOL_BACKBONES_INCEPTION_V3_H_

#include <memory>

#include "wsol/backbones/backbone.h"

namespace wsol::backbones {

std::shared_ptr<Backbone> MakeInceptionV3(const BackboneOptions& options);

}  // namespace wsol::backbones

#endif  // WSOL_BACKBONES_INCEPTION_V3_H_
