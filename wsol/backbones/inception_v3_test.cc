// InceptionV3-CAM specifics; the conformance suite in backbones_test.cc covers the rest.
#include "wsol/backbones/inception_v3.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wsol/backbones/backbone_registry.h"

namespace wsol::backbones {
namespace {

using ::testing::ElementsAre;

std::vector<int64_t> Shape(const torch::Tensor& t) { return t.sizes().vec(); }

TEST(InceptionV3Test, FeatureMapAt224MatchesWsolevaluation) {
  // wsolevaluation's InceptionCam at 224 px: SPG_A3_2b gives 1024 x 14 x 14 (28 x 28 with
  // large_feature_map), checked by running it in Python torch 1.13. By hand:
  // 224 -(Conv2d_1a_3x3, stride 2, pad 1)-> 112 -(Conv2d_2a_3x3, valid)-> 110
  // -(max pool 3/2, pad 1, ceil)-> 56 -(Conv2d_4a_3x3, valid)-> 54 -(max pool 3/2, pad 1,
  // ceil)-> 28 -(Mixed_5*, same)-> 28 -(max pool 3/2, ceil)-> 14 -(Mixed_6*, head, same)-> 14.
  torch::NoGradGuard no_grad;
  auto net = MakeInceptionV3({.num_classes = 7, .width_multiplier = 0.125});
  net->eval();
  BackboneOutput out = net->Forward(torch::randn({1, 3, 224, 224}));
  EXPECT_EQ(Shape(out.features), (std::vector<int64_t>{1, 128, 14, 14}));
  EXPECT_EQ(net->FeatureChannels(), 128);  // 1024 / 8
  // Stages: stem (192), Mixed_5d (288), Mixed_6e (768), head (1024), all scaled by 1/8.
  ASSERT_EQ(out.stages.size(), 4u);
  EXPECT_EQ(Shape(out.stages[0]), (std::vector<int64_t>{1, 24, 28, 28}));
  EXPECT_EQ(Shape(out.stages[1]), (std::vector<int64_t>{1, 36, 28, 28}));
  EXPECT_EQ(Shape(out.stages[2]), (std::vector<int64_t>{1, 96, 14, 14}));
  EXPECT_EQ(Shape(out.stages[3]), (std::vector<int64_t>{1, 128, 14, 14}));

  auto large =
      MakeInceptionV3({.num_classes = 7, .width_multiplier = 0.125, .large_feature_map = true});
  large->eval();
  EXPECT_EQ(Shape(large->Forward(torch::randn({1, 3, 224, 224})).features),
            (std::vector<int64_t>{1, 128, 28, 28}));
}

TEST(InceptionV3Test, StateDictNamesMatchTorchvisionAndWsolevaluation) {
  auto net = MakeInceptionV3({.num_classes = 1000});
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& p : net->named_parameters()) shapes[p.key()] = Shape(p.value());
  for (const auto& b : net->named_buffers()) shapes[b.key()] = Shape(b.value());
  // wsolevaluation's InceptionCam(num_classes=1000).state_dict() has 426 entries: 70
  // BasicConv2d (5 stem, 3 x 7 in Mixed_5*, 4 in Mixed_6a, 4 x 10 in Mixed_6b..6e) with a
  // conv weight and 5 BatchNorm entries each, plus 3 biased head convs.
  EXPECT_EQ(shapes.size(), 426u);
  // torchvision's inception_v3 names and shapes.
  const std::map<std::string, std::vector<int64_t>> expected = {
      {"Conv2d_1a_3x3.conv.weight", {32, 3, 3, 3}},
      {"Conv2d_1a_3x3.bn.num_batches_tracked", {}},
      {"Conv2d_4a_3x3.bn.running_mean", {192}},
      {"Mixed_5b.branch_pool.conv.weight", {32, 192, 1, 1}},
      {"Mixed_5d.branch5x5_2.conv.weight", {64, 48, 5, 5}},
      {"Mixed_6a.branch3x3.conv.weight", {384, 288, 3, 3}},
      {"Mixed_6a.branch3x3dbl_3.bn.running_var", {96}},
      {"Mixed_6b.branch7x7_3.conv.weight", {192, 128, 7, 1}},
      {"Mixed_6e.branch7x7dbl_5.conv.weight", {192, 192, 1, 7}},
      // wsolevaluation's head.
      {"SPG_A3_1b.0.weight", {1024, 768, 3, 3}},
      {"SPG_A3_2b.0.bias", {1024}},
      {"SPG_A4.weight", {1000, 1024, 1, 1}},
      {"SPG_A4.bias", {1000}},
  };
  for (const auto& [name, shape] : expected) {
    ASSERT_TRUE(shapes.count(name)) << name;
    EXPECT_EQ(shapes[name], shape) << name;
  }
  for (const auto& [name, shape] : shapes) {
    EXPECT_EQ(name.find("Mixed_7"), std::string::npos) << name;
    EXPECT_EQ(name.find("AuxLogits"), std::string::npos) << name;
    EXPECT_NE(name.rfind("fc.", 0), 0u) << name;
  }
}

TEST(InceptionV3Test, BatchNormEpsIsTorchvisions) {
  auto net = MakeInceptionV3({.num_classes = 3, .width_multiplier = 0.125});
  int batch_norms = 0;
  for (const auto& module : net->modules()) {
    if (auto* bn = module->as<torch::nn::BatchNorm2d>()) {
      EXPECT_DOUBLE_EQ(bn->options.eps(), 0.001);
      ++batch_norms;
    }
  }
  EXPECT_EQ(batch_norms, 70);
}

TEST(InceptionV3Test, NewLayersAreTheHead) {
  // wsolevaluation trains all but Conv2d_* and Mixed_* with the classifier learning rate.
  auto net = MakeInceptionV3({.num_classes = 3, .width_multiplier = 0.125});
  std::vector<std::string> fresh;
  for (const torch::Tensor& p : net->NewLayerParameters()) {
    for (const auto& item : net->named_parameters()) {
      if (item.value().is_same(p)) fresh.push_back(item.key());
    }
  }
  EXPECT_THAT(fresh, ElementsAre("SPG_A3_1b.0.weight", "SPG_A3_1b.0.bias", "SPG_A3_2b.0.weight",
                                 "SPG_A3_2b.0.bias", "SPG_A4.weight", "SPG_A4.bias"));
}

TEST(InceptionV3Test, HooksFollowTheMixedBlocksAndTheHead) {
  auto net = MakeInceptionV3({.num_classes = 3, .width_multiplier = 0.125});
  EXPECT_THAT(net->BlockNames(),
              ElementsAre("Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c",
                          "Mixed_6d", "Mixed_6e", "SPG_A3_1b", "SPG_A3_2b"));
}

TEST(InceptionV3Test, HeadDropoutActsOnlyInTraining) {
  torch::manual_seed(3);
  auto net = MakeInceptionV3({.num_classes = 3, .width_multiplier = 0.125});
  torch::Tensor images = torch::randn({2, 3, 64, 64});
  net->eval();
  EXPECT_TRUE(net->Forward(images).logits.equal(net->Forward(images).logits));
  net->train();
  EXPECT_FALSE(net->Forward(images).logits.equal(net->Forward(images).logits));
}

TEST(InceptionV3Test, IsRegistered) {
  auto net = CreateBackbone("inception_v3", {.num_classes = 3, .width_multiplier = 0.125});
  EXPECT_EQ(net->BlockNames().back(), "SPG_A3_2b");
}

}  // namespace
}  // namespace wsol::backbones
