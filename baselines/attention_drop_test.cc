// ADL and RDAP: the masks do what their definitions say, the layers sit at the
// documented blocks, draw their decisions from the step's rng, and are the identity in
// evaluation mode.
#include <torch/types.h>

#include <random>
#include <string>
#include <vector>

#include "baselines/adl_method.h"
#include "baselines/method_testing.h"
#include "baselines/rdap_method.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wsol/regularizers/entropy_kl_uniform.h"
#include "wsol/regularizers/no_regularizer.h"

namespace wsol::baselines {
namespace {

using ::testing::ElementsAre;

TEST(SelfAttentionTest, IsTheChannelMean) {
  const torch::Tensor x = torch::arange(24, torch::kFloat).reshape({1, 3, 2, 4});
  // Channels hold 0..7, 8..15, 16..23: the mean at each pixel is its value + 8.
  EXPECT_TRUE(
      torch::equal(SelfAttention(x), torch::arange(8, torch::kFloat).reshape({1, 1, 2, 4}) + 8));
}

TEST(AdlDropMaskTest, ZeroesExactlyWhereAttentionIsAtLeastGammaTimesTheMax) {
  // Image 0: max 8, gamma 0.5 -> threshold 4 (4 itself is dropped). Image 1: max 2 ->
  // threshold 1. Values chosen exactly representable.
  const torch::Tensor attention =
      torch::tensor({0.f, 3.f, 4.f, 8.f, 3.99f, 5.f, 1.f, 0.5f, 2.f, 0.99f, -1.f, 1.5f})
          .reshape({2, 1, 2, 3});
  const torch::Tensor expected =
      torch::tensor({1.f, 1.f, 0.f, 0.f, 1.f, 0.f, 0.f, 1.f, 0.f, 1.f, 1.f, 0.f})
          .reshape({2, 1, 2, 3});
  EXPECT_TRUE(torch::equal(AdlDropMask(attention, 0.5), expected));
  // gamma 1 drops only the maximum; gamma 0 drops every non-negative location.
  EXPECT_EQ(AdlDropMask(attention, 1.0).sum().item<float>(), 12 - 2);
  EXPECT_EQ((AdlDropMask(attention, 0.0) == 0).sum().item<int64_t>(), 11);
}

TEST(AdlMethodTest, ApplyMultipliesByTheDropMaskOrTheImportanceMap) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::rand({2, 4, 5, 5});
  AdlMethod adl(0.75, 0.9);
  const torch::Tensor attention = x.mean(1, true);
  EXPECT_TRUE(torch::allclose(adl.Apply(x, true), x * AdlDropMask(attention, 0.9)));
  EXPECT_TRUE(torch::allclose(adl.Apply(x, false), x * torch::sigmoid(attention)));
  // Dropping zeroes every channel at the peak of each image.
  const torch::Tensor dropped = adl.Apply(x, true);
  for (int64_t b = 0; b < 2; ++b) {
    const int64_t peak = attention[b].flatten().argmax().item<int64_t>();
    EXPECT_EQ(dropped[b].flatten(1).select(1, peak).abs().sum().item<float>(), 0.0f);
  }
}

TEST(RdapDropMaskTest, SquareOfTheConfiguredSizeCentredOnThePeak) {
  torch::Tensor attention = torch::zeros({3, 1, 10, 10});
  attention[0][0][4][6] = 1;  // interior peak
  attention[1][0][0][9] = 1;  // corner peak: the square is clipped
  attention[2][0][5][5] = 1;
  attention[2][0][7][7] = 1;  // two equal peaks: the first in row-major order wins
  const torch::Tensor mask = RdapDropMask(attention, 0.3);  // side round(3.0) = 3
  auto expect_square = [&](int64_t b, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    for (int64_t y = 0; y < 10; ++y) {
      for (int64_t x = 0; x < 10; ++x) {
        const bool inside = y >= r0 && y < r1 && x >= c0 && x < c1;
        EXPECT_EQ(mask[b][0][y][x].item<float>(), inside ? 0.0f : 1.0f) << b << " " << y << x;
      }
    }
  };
  expect_square(0, 3, 6, 5, 8);   // rows 3-5, columns 5-7: centred on (4, 6)
  expect_square(1, 0, 2, 8, 10);  // rows -1-1 and columns 8-10 clipped
  expect_square(2, 4, 7, 4, 7);
  // An even side (round(0.4 * 10) = 4) puts one more row / column before the peak.
  const torch::Tensor even = RdapDropMask(attention, 0.4);
  EXPECT_EQ((even[0][0] == 0).sum().item<int64_t>(), 16);
  EXPECT_EQ(even[0][0][2][4].item<float>(), 0.0f);
  EXPECT_EQ(even[0][0][5][7].item<float>(), 0.0f);
  EXPECT_EQ(even[0][0][6][6].item<float>(), 1.0f);
}

TEST(RdapDropMaskTest, SquareSideRoundsAndIsAtLeastOne) {
  EXPECT_EQ(RdapSquareSide(0.3, 14), 4);   // 4.2
  EXPECT_EQ(RdapSquareSide(0.25, 14), 4);  // 3.5 rounds half away from zero
  EXPECT_EQ(RdapSquareSide(0.01, 7), 1);
  EXPECT_EQ(RdapSquareSide(1.0, 7), 7);
}

TEST(RdapMethodTest, ApplyHidesTheSquareOrPassesThrough) {
  torch::manual_seed(1);
  const torch::Tensor x = torch::rand({2, 3, 7, 7});
  RdapMethod rdap(0.3, 0.5);
  EXPECT_TRUE(torch::equal(rdap.Apply(x, false), x));
  const torch::Tensor dropped = rdap.Apply(x, true);
  EXPECT_TRUE(torch::equal(dropped, x * RdapDropMask(x.mean(1, true), 0.3)));
  // round(0.3 * 7) = 2: a 2 x 2 square (clipped at most to 1 x 1) of zeros in each image.
  for (int64_t b = 0; b < 2; ++b) {
    const int64_t zeros = (dropped[b][0] == 0).sum().item<int64_t>();
    EXPECT_GE(zeros, 1);
    EXPECT_LE(zeros, 4);
  }
}

// The layers in a backbone: positions, evaluation identity, decisions from the rng.
template <typename T>
class AttentionDropInBackboneTest : public ::testing::Test {};

struct AdlMaker {
  static std::shared_ptr<AttentionDropMethod> Make(double drop_rate) {
    return std::make_shared<AdlMethod>(drop_rate, 0.9);
  }
};
struct RdapMaker {
  static std::shared_ptr<AttentionDropMethod> Make(double drop_rate) {
    return std::make_shared<RdapMethod>(0.3, drop_rate);
  }
};
using Makers = ::testing::Types<AdlMaker, RdapMaker>;
TYPED_TEST_SUITE(AttentionDropInBackboneTest, Makers);

TYPED_TEST(AttentionDropInBackboneTest, SitsAtTheDocumentedBlocks) {
  std::shared_ptr<AttentionDropMethod> method = TypeParam::Make(0.5);
  auto resnet = testing::TinyBackbone("resnet50");
  method->Attach(*resnet, testing::kTinyClasses);
  EXPECT_THAT(method->positions(), ElementsAre("layer3.0", "layer4.0", "layer4.2"));
  auto vgg = testing::TinyBackbone("vgg16");
  method->Attach(*vgg, testing::kTinyClasses);
  EXPECT_THAT(method->positions(), ElementsAre("stage3", "conv4_3", "stage5"));
}

TYPED_TEST(AttentionDropInBackboneTest, IsTheIdentityInEvaluationMode) {
  for (const std::string arch : {"resnet50", "vgg16"}) {
    auto net = testing::TinyBackbone(arch);
    net->eval();
    const testing::TinyBatch batch = testing::MakeTinyBatch(2, 64);
    torch::NoGradGuard no_grad;
    const torch::Tensor plain = net->Forward(batch.images).features;
    std::shared_ptr<AttentionDropMethod> method = TypeParam::Make(1.0);
    method->Attach(*net, testing::kTinyClasses);
    method->eval();
    EXPECT_TRUE(torch::equal(net->Forward(batch.images).features, plain)) << arch;
    // The same layer in training mode with drop_rate 1 changes the features, and the last
    // position leaves a zero location in every image: stage 4 is layer4 for ResNet50
    // (stem, layer1, ..., layer4) and stage5 for VGG16 (stage1, ..., stage5, conv6).
    method->train();
    const backbones::BackboneOutput out = net->Forward(batch.images);
    EXPECT_FALSE(torch::equal(out.features, plain)) << arch;
    const torch::Tensor dropped = out.stages.at(4);
    const torch::Tensor zero_location = (dropped.abs().sum(1) == 0).flatten(1).any(1);
    EXPECT_TRUE(zero_location.all().item<bool>()) << arch;
  }
}

TYPED_TEST(AttentionDropInBackboneTest, DecisionsComeFromTheStepRng) {
  auto net = testing::TinyBackbone("resnet50");
  const testing::TinyBatch batch = testing::MakeTinyBatch(2, 64);
  auto none = std::make_unique<regularizers::NoRegularizer>();
  std::shared_ptr<AttentionDropMethod> method = TypeParam::Make(0.5);
  method->Attach(*net, testing::kTinyClasses);
  method->train();
  net->train();
  torch::NoGradGuard no_grad;
  std::vector<double> losses;
  for (uint64_t seed : {4, 4, 5, 6, 7, 8}) {
    std::mt19937_64 rng(seed);
    losses.push_back(method->TrainingStep(*net, batch.images, batch.targets, *none, rng)
                         .loss.total.item<double>());
  }
  EXPECT_DOUBLE_EQ(losses[0], losses[1]);  // same seed, same decisions, same loss
  bool some_differ = false;
  for (size_t i = 2; i < losses.size(); ++i) some_differ = some_differ || losses[i] != losses[0];
  EXPECT_TRUE(some_differ);
}

TEST(AttentionDropTest, UnknownBackboneIsRefusedByName) {
  struct Plain : backbones::Backbone {
    backbones::BackboneOutput Forward(const torch::Tensor&) override { return {}; }
    torch::Tensor Classify(const torch::Tensor& f) override { return f; }
    torch::Tensor ClassifierWeight() override { return {}; }
    std::vector<torch::Tensor> NewLayerParameters() override { return {}; }
    std::vector<torch::Tensor> FeatureParameters() override { return {}; }
    std::vector<std::string> BlockNames() const override { return {"block1", "block2"}; }
    int64_t FeatureChannels() const override { return 1; }
  } plain;
  AdlMethod adl(0.75, 0.9);
  try {
    adl.Attach(plain, 2);
    FAIL() << "expected an error";
  } catch (const c10::ValueError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("block1, block2"));
  }
}

}  // namespace
}  // namespace wsol::baselines
