// vgg16.h
//
// VGG16-GAP, wsolevaluation's CAM variant of VGG16: the 13 conv layers of VGG16
// (torchvision names features.0 ... features.28) with pool5 removed, an added
// conv6 (3x3, 512 -> 1024) + ReLU, global average pooling and fc (1024 -> C).
// The CAM is 1/16 of the input (1/8 with large_feature_map, which drops pool4).
// Hooked blocks: stage1 ... stage5 (each stage's convs and the pool after them),
// conv4_3 (conv4_3's output before pool4) and conv6.
#ifndef WSOL_BACKBONES_VGG16_H_
#define WSOL_BACKBONES_VGG16_H_

#include <memory>

#include "wsol/backbones/backbone.h"

namespace wsol::backbones {

std::shared_ptr<Backbone> MakeVgg16(const BackboneOptions& options);

}  // namespace wsol::backbones

#endif  // WSOL_BACKBONES_VGG16_H_
