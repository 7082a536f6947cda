// resnet.h
//
// ResNet-family backbones in torchvision's layout (module names match torchvision's
// state dicts: conv1, bn1, layer1.0.conv1, ..., fc), adapted for WSOL as wsolevaluation
// does: layer4 keeps stride 1, so the CAM is 1/16 of the input (1/8 with
// large_feature_map, which also makes layer3 non-strided).
//   ResNet50:     Bottleneck [3, 4, 6, 3] (He et al. 2016).
//   SE-ResNet-50: the same with squeeze-and-excitation (reduction 16) in every block.
//   PreResNet-18: pre-activation BasicBlocks [2, 2, 2, 2] (He et al., "Identity Mappings")
//     after a conv-BN-ReLU stem, with a final BN-ReLU (bn_final), as the ImageNet
//     pre-activation ResNets of fb.resnet.torch and pytorchcv.
#ifndef WSOL_BACKBONES_RESNET_H_
#define WSOL_BACKBONES_RESNET_H_

#include <memory>

#include "wsol/backbones/backbone.h"

namespace wsol::backbones {

std::shared_ptr<Backbone> MakeResNet50(const BackboneOptions& options);
std::shared_ptr<Backbone> MakeSeResNet50(const BackboneOptions& options);
std::shared_ptr<Backbone> MakePreResNet18(const BackboneOptions& options);

}  // namespace wsol::backbones

#endif  // WSOL_BACKBONES_RESNET_H_
