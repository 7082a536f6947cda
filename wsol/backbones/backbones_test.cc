// Conformance tests run over every entry of the backbone table, plus the reference
// parameter counts at width 1.
#include <torch/optim/sgd.h>
#include <torch/types.h>

#include <map>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wsol/backbones/backbone_registry.h"

namespace wsol::backbones {
namespace {

int64_t CountParameters(torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& p : module.parameters()) total += p.numel();
  return total;
}

TEST(BackboneParameterCountTest, MatchesReferenceArchitecturesAtWidthOne) {
  // torchvision's resnet50(num_classes=1000): 25,557,032 parameters (torchvision docs).
  // SE-ResNet-50 adds 2C^2/16 + C/16 + C per block (two biased 1x1 convs) over
  // C = 256 x3, 512 x4, 1024 x6, 2048 x3: 2,530,992 more = 28,088,024 (Hu et al.'s 28.1M).
  // VGG16-GAP: VGG16's convs 14,714,688 + conv6 512*1024*9+1024 = 4,719,616
  // + fc 1024*1000+1000 = 1,025,000 = 20,459,304.
  // PreResNet-18 (stem conv-BN-ReLU, BN-ReLU before each conv, bias-free 1x1
  // projections, final BN): stem 9,408 + 128 + layer1 147,968 + layer2 525,184
  // + layer3 2,098,944 + layer4 8,392,192 + final BN 1,024 + fc 513,000 = 11,687,848,
  // the count pytorchcv's preresnet18 asserts for itself.
  // InceptionV3-CAM: torchvision's layers up to Mixed_6e, 8,965,856 (stem 172,672
  // + Mixed_5b..5d 818,528 + Mixed_6a 1,153,280 + Mixed_6b..6e 6,821,376), + SPG_A3_1b
  // 768*1024*9+1024 = 7,078,912 + SPG_A3_2b 1024*1024*9+1024 = 9,438,208 + SPG_A4
  // 1024*1000+1000 = 1,025,000 = 26,507,976: the parameter count of wsolevaluation's
  // InceptionCam(num_classes=1000), counted with Python torch 1.13 (the per-block numbers
  // are that model's too).
  const std::map<std::string, int64_t> expected = {{"resnet50", 25557032},
                                                   {"se_resnet50", 28088024},
                                                   {"vgg16", 20459304},
                                                   {"preresnet18", 11687848},
                                                   {"inception_v3", 26507976}};
  for (const auto& [name, count] : expected) {
    auto net = CreateBackbone(name, {.num_classes = 1000});
    EXPECT_EQ(CountParameters(*net), count) << name;
  }
}

TEST(BackboneRegistryTest, UnknownNameListsValidOnes) {
  try {
    CreateBackbone("resnet51", {});
    FAIL() << "expected an error";
  } catch (const c10::ValueError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("unknown backbone \"resnet51\""));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("resnet50, vgg16"));
  }
}

TEST(BackboneShapeTest, ResNet50FeatureMapIsOneSixteenthOrOneEighth) {
  torch::NoGradGuard no_grad;
  auto net = CreateBackbone("resnet50", {.num_classes = 7, .width_multiplier = 0.125});
  net->eval();
  BackboneOutput out = net->Forward(torch::randn({1, 3, 224, 224}));
  EXPECT_EQ(out.features.sizes(), (std::vector<int64_t>{1, 256, 14, 14}));
  auto large = CreateBackbone(
      "resnet50", {.num_classes = 7, .width_multiplier = 0.125, .large_feature_map = true});
  large->eval();
  EXPECT_EQ(large->Forward(torch::randn({1, 3, 224, 224})).features.size(2), 28);
}

TEST(BackboneShapeTest, Vgg16HooksConv43BeforePool4) {
  // wsolevaluation's VGG16 ADL sits after conv4_3, before pool4: at 64 px that map is 8x8
  // (pool1-3 halve 64 three times), stage4 (after pool4) is 4x4. Without pool4
  // (large_feature_map) both are 8x8.
  for (const bool large : {false, true}) {
    SCOPED_TRACE(large ? "large feature map" : "pool4");
    torch::NoGradGuard no_grad;
    auto net = CreateBackbone(
        "vgg16", {.num_classes = 3, .width_multiplier = 0.0625, .large_feature_map = large});
    net->eval();
    std::map<std::string, int64_t> side;
    net->SetBlockHook([&](const std::string& block, const torch::Tensor& x) {
      side[block] = x.size(2);
      return x;
    });
    net->Forward(torch::randn({1, 3, 64, 64}));
    EXPECT_EQ(side.at("stage3"), 8);
    EXPECT_EQ(side.at("conv4_3"), 8);
    EXPECT_EQ(side.at("stage4"), large ? 8 : 4);
  }
}

TEST(BackboneShapeTest, PreResNet18sLastHookSeesThePostActivationFeatures) {
  // The pre-activation trunk ends in BN-ReLU. ADL / RDAP after its last block act on the
  // features the classifier and the CAM read (as after ResNet50's last block), not on the
  // pre-activation stream before that BN-ReLU.
  torch::manual_seed(0);
  auto net = CreateBackbone("preresnet18", {.num_classes = 3, .width_multiplier = 0.125});
  net->eval();
  torch::NoGradGuard no_grad;
  const std::string last = net->BlockNames().back();
  torch::Tensor seen;
  net->SetBlockHook([&](const std::string& block, const torch::Tensor& x) {
    if (block == last) seen = x.clone();
    return x;
  });
  const BackboneOutput out = net->Forward(torch::randn({2, 3, 64, 64}));
  ASSERT_TRUE(seen.defined());
  EXPECT_GE(seen.min().item<float>(), 0.0f) << "the hook saw the pre-activation stream";
  EXPECT_TRUE(seen.equal(out.features));
  EXPECT_TRUE(out.stages.back().equal(out.features));
}

class BackboneConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BackboneConformanceTest, ForwardShapesAndClassifierAreConsistent) {
  torch::manual_seed(0);
  const int64_t classes = 5;
  auto net = CreateBackbone(GetParam(), {.num_classes = classes, .width_multiplier = 0.125});
  net->eval();
  torch::NoGradGuard no_grad;
  BackboneOutput out = net->Forward(torch::randn({2, 3, 64, 64}));
  ASSERT_EQ(out.logits.sizes(), (std::vector<int64_t>{2, classes}));
  ASSERT_EQ(out.features.dim(), 4);
  EXPECT_EQ(out.features.size(1), net->FeatureChannels());
  // WSOL backbones keep a 1/16 feature map: 64 px -> 4 x 4.
  EXPECT_EQ(out.features.size(2), 4);
  EXPECT_EQ(net->ClassifierWeight().sizes(),
            (std::vector<int64_t>{classes, net->FeatureChannels()}));
  EXPECT_FALSE(out.stages.empty());
  EXPECT_TRUE(out.stages.back().equal(out.features));
  // GAP commutes with the linear classifier: logits - bias = mean_hw(W . F), which is
  // what makes CAM a localization map of the logit.
  torch::Tensor cam_logits =
      torch::einsum("ck,bkhw->bchw", {net->ClassifierWeight(), out.features}).mean({2, 3});
  torch::Tensor bias = out.logits - cam_logits;
  EXPECT_TRUE(torch::allclose(bias[0], bias[1], 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(net->Classify(out.features), out.logits));
}

TEST_P(BackboneConformanceTest, ParameterGroupsPartitionAllParameters) {
  auto net = CreateBackbone(GetParam(), {.num_classes = 3, .width_multiplier = 0.125});
  std::set<void*> seen;
  int64_t total = 0;
  for (const auto& group : {net->NewLayerParameters(), net->FeatureParameters()}) {
    EXPECT_FALSE(group.empty());
    for (const auto& p : group) {
      EXPECT_TRUE(seen.insert(p.data_ptr()).second) << "parameter in two groups";
      total += p.numel();
    }
  }
  EXPECT_EQ(total, CountParameters(*net));
  // The classifier is always a new layer.
  bool classifier_is_new = false;
  for (const auto& p : net->NewLayerParameters()) {
    classifier_is_new |= p.data_ptr() == net->ClassifierWeight().data_ptr();
  }
  EXPECT_TRUE(classifier_is_new);
}

TEST_P(BackboneConformanceTest, HookSeesEveryBlockInOrderAndCanChangeTheOutput) {
  auto net = CreateBackbone(GetParam(), {.num_classes = 3, .width_multiplier = 0.125});
  net->eval();
  torch::NoGradGuard no_grad;
  std::vector<std::string> seen;
  net->SetBlockHook([&](const std::string& block, const torch::Tensor& x) {
    seen.push_back(block);
    return x;
  });
  torch::Tensor images = torch::randn({1, 3, 64, 64});
  torch::Tensor plain = net->Forward(images).logits;
  EXPECT_EQ(seen, net->BlockNames());
  const std::string last = net->BlockNames().back();
  net->SetBlockHook([&](const std::string& block, const torch::Tensor& x) {
    return block == last ? torch::zeros_like(x) : x;
  });
  BackboneOutput zeroed = net->Forward(images);
  EXPECT_EQ(zeroed.features.abs().sum().item<float>(), 0.0f);
  EXPECT_FALSE(zeroed.logits.equal(plain));
}

TEST_P(BackboneConformanceTest, TrainsOneStep) {
  torch::manual_seed(1);
  auto net = CreateBackbone(GetParam(), {.num_classes = 4, .width_multiplier = 0.125});
  net->train();
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.01));
  torch::Tensor images = torch::randn({4, 3, 32, 32});
  torch::Tensor labels = torch::tensor({0, 1, 2, 3});
  float first = 0, last = 0;
  for (int step = 0; step < 10; ++step) {
    sgd.zero_grad();
    torch::Tensor loss = torch::cross_entropy_loss(net->Forward(images).logits, labels);
    loss.backward();
    sgd.step();
    (step == 0 ? first : last) = loss.item<float>();
  }
  EXPECT_TRUE(std::isfinite(last));
  EXPECT_LT(last, first);
}

INSTANTIATE_TEST_SUITE_P(AllBackbones, BackboneConformanceTest,
                         ::testing::ValuesIn(BackboneNames()));

}  // namespace
}  // namespace wsol::backbones
