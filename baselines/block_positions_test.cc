// Where ADL / RDAP and SPG's side branches go for each backbone family. The expected
// names are wsolevaluation's positions (wsol/resnet.py _ADL_POSITION, wsol/vgg.py 'A'
// entries, wsol/inception.py ADL_5d / ADL_6e / ADL_A3_2b, and the SPG_B_1a / SPG_B_2a
// inputs), mapped to our block names as block_positions.h explains.
#include "baselines/block_positions.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wsol::baselines {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> ResNetBlocks(const std::vector<int>& depths) {
  std::vector<std::string> names;
  for (size_t stage = 0; stage < depths.size(); ++stage) {
    for (int b = 0; b < depths[stage]; ++b) {
      names.push_back("layer" + std::to_string(stage + 1) + "." + std::to_string(b));
    }
  }
  return names;
}

// The VGG16 backbone's hooked blocks (its header lists them).
const std::vector<std::string> kVggBlocks = {"stage1", "stage2", "stage3", "conv4_3",
                                             "stage4", "stage5", "conv6"};
// The InceptionV3 backbone's hooked blocks (its header lists them).
const std::vector<std::string> kInceptionBlocks = {"Mixed_5b",  "Mixed_5c", "Mixed_5d", "Mixed_6a",
                                                   "Mixed_6b",  "Mixed_6c", "Mixed_6d", "Mixed_6e",
                                                   "SPG_A3_1b", "SPG_A3_2b"};

TEST(AttentionDropBlocksTest, ResNet50IsWsolevaluationsAdlPosition) {
  // _ADL_POSITION = [[], [], [], [0], [0, 2]]: after layer3.0, layer4.0 and layer4.2.
  EXPECT_THAT(AttentionDropBlocks(ResNetBlocks({3, 4, 6, 3})),
              ElementsAre("layer3.0", "layer4.0", "layer4.2"));
}

TEST(AttentionDropBlocksTest, PreResNet18TakesTheAnalogousBlocks) {
  EXPECT_THAT(AttentionDropBlocks(ResNetBlocks({2, 2, 2, 2})),
              ElementsAre("layer3.0", "layer4.0", "layer4.1"));
}

TEST(AttentionDropBlocksTest, Vgg16AfterPool3Conv4BeforePool4AndConv5) {
  // wsol/vgg.py's 'adl' config: ..., 'M', 'A', 512, 512, 512, 'A', 'M', 512, 512, 512, 'A'.
  EXPECT_THAT(AttentionDropBlocks(kVggBlocks), ElementsAre("stage3", "conv4_3", "stage5"));
}

TEST(AttentionDropBlocksTest, InceptionV3AfterMixed5dMixed6eAndTheHead) {
  EXPECT_THAT(AttentionDropBlocks(kInceptionBlocks),
              ElementsAre("Mixed_5d", "Mixed_6e", "SPG_A3_2b"));
}

TEST(AttentionDropBlocksTest, UnknownBackboneGivesNothing) {
  EXPECT_THAT(AttentionDropBlocks({"block1", "block2"}), IsEmpty());
  EXPECT_THAT(SpgSideBlocks({"block1", "block2"}), IsEmpty());
}

TEST(SpgSideBlocksTest, FirstAndLastBlockOfLayer3ForResNets) {
  // wsolevaluation's SPG_A1 = layer3.0 feeds SPG_B_1a, SPG_A2 = layer3.1-5 feeds SPG_B_2a.
  EXPECT_THAT(SpgSideBlocks(ResNetBlocks({3, 4, 6, 3})), ElementsAre("layer3.0", "layer3.5"));
  EXPECT_THAT(SpgSideBlocks(ResNetBlocks({2, 2, 2, 2})), ElementsAre("layer3.0", "layer3.1"));
}

TEST(SpgSideBlocksTest, VggAndInception) {
  EXPECT_THAT(SpgSideBlocks(kVggBlocks), ElementsAre("stage4", "stage5"));
  // wsol/inception.py InceptionSpg: x = Mixed_6d(x); feat = Mixed_6e(x); SPG_B_2a(x).
  EXPECT_THAT(SpgSideBlocks(kInceptionBlocks), ElementsAre("Mixed_5d", "Mixed_6d"));
}

TEST(JoinNamesTest, CommaSeparated) {
  EXPECT_EQ(JoinNames({"a", "b", "c"}), "a, b, c");
  EXPECT_EQ(JoinNames({}), "");
}

}  // namespace
}  // namespace wsol::baselines
