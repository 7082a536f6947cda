// block_positions.h
//
// Where the trunk-level methods act, per backbone, in terms of Backbone::BlockNames().
// wsolevaluation hard-codes these positions inside each architecture; we recognise the
// backbone from its block names and return the analogous hook points.
//
//   std::vector<std::string> at = AttentionDropBlocks(backbone.BlockNames());
//   // resnet50: {"layer3.0", "layer4.0", "layer4.2"}
//
// ADL / RDAP (wsolevaluation's _ADL_POSITION and 'A' entries):
//   ResNet family (resnet50, se_resnet50, preresnet18): after the first block of layer3,
//     the first block of layer4 and the last block of layer4 (ResNet50: layer3.0,
//     layer4.0, layer4.2, exactly wsolevaluation's [[], [], [], [0], [0, 2]]; for
//     PreResNet-18 the analogous layer3.0, layer4.0, layer4.1).
//   VGG16-GAP: after pool3 ("stage3"), after conv4_3 and before pool4 ("conv4_3") and
//     after conv5_3 ("stage5", before conv6), as wsolevaluation's 'A' entries.
//   InceptionV3: after Mixed_5d, Mixed_6e and SPG_A3_2b (wsolevaluation's ADL_5d, ADL_6e,
//     ADL_A3_2b; our Mixed_5d hook is before the 3x3 max pool, as theirs).
// SPG side branches (wsolevaluation's SPG_B_1a / SPG_B_2a inputs):
//   ResNet family: the first and the last block of layer3 (ResNet50: layer3.0, layer3.5).
//   VGG16-GAP: "stage4" (conv4_x then pool4; theirs pools 3x3 with stride 2 there) and
//     "stage5" (conv5_x).
//   InceptionV3: Mixed_5d (theirs after the max pool that follows it) and Mixed_6d (the
//     input of Mixed_6e, as wsolevaluation's SPG_B_2a).
// Standard library only.
#ifndef BASELINES_BLOCK_POSITIONS_H_
#define BASELINES_BLOCK_POSITIONS_H_

#include <string>
#include <vector>

namespace wsol::baselines {

// The blocks after which ADL / RDAP act, in execution order; empty when the block names
// belong to no backbone family we know.
std::vector<std::string> AttentionDropBlocks(const std::vector<std::string>& block_names);

// The two blocks whose outputs feed SPG's side branches B1 and B2; empty when unknown.
std::vector<std::string> SpgSideBlocks(const std::vector<std::string>& block_names);

// "a, b, c" for error messages.
std::string JoinNames(const std::vector<std::string>& names);

}  // namespace wsol::baselines

#endif  // BASELINES_BLOCK_POSITIONS_H_
