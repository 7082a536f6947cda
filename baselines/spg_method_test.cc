// SPG: seeds follow delta_h / delta_l (with wsolevaluation's small-foreground fallback),
// the guidance losses use the documented sources, and the heads are registered modules.
#include "baselines/spg_method.h"

#include <torch/optim/sgd.h>
#include <torch/types.h>

#include <cmath>
#include <random>
#include <set>
#include <string>

#include "baselines/method_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wsol/cam/cam.h"
#include "wsol/regularizers/entropy_kl_uniform.h"
#include "wsol/regularizers/no_regularizer.h"
#include "wsol/train/training_state.h"

namespace wsol::baselines {
namespace {

using ::testing::ElementsAre;

TEST(SpgSeedsTest, ForegroundAboveDeltaHBackgroundBelowDeltaLRestIgnored) {
  // delta_h = 0.75, delta_l = 0.125; both comparisons are strict, as wsolevaluation's.
  const torch::Tensor maps =
      torch::tensor({0.0f, 0.125f, 0.5f, 0.75f, 0.875f, 1.0f, 0.0625f, 0.25f}).reshape({1, 2, 4});
  const torch::Tensor seeds = SpgSeeds(maps, 0.75, 0.125, /*min_foreground=*/1);
  EXPECT_TRUE(torch::equal(
      seeds, torch::tensor({0.f, -1.f, -1.f, -1.f, 1.f, 1.f, 0.f, -1.f}).reshape({1, 2, 4})));
}

TEST(SpgSeedsTest, TooFewForegroundPixelsFallBackToSeventyPercentOfTheMax) {
  // Image 0: only one pixel above 0.75 but three are required, so foreground is
  // > 0.7 * 0.8 = 0.56. Image 1 has enough and keeps delta_h.
  const torch::Tensor maps =
      torch::tensor({{0.8f, 0.6f, 0.5f, 0.0f}, {0.8f, 0.9f, 1.0f, 0.6f}}).reshape({2, 1, 4});
  const torch::Tensor seeds = SpgSeeds(maps, 0.75, 0.1, /*min_foreground=*/3);
  EXPECT_TRUE(torch::equal(seeds[0][0], torch::tensor({1.f, 1.f, -1.f, 0.f})));
  EXPECT_TRUE(torch::equal(seeds[1][0], torch::tensor({1.f, 1.f, 1.f, -1.f})));
}

TEST(SpgSeedsTest, BackgroundWinsWhereTheFallbackOverlapsIt) {
  // Max 0.05: the fallback foreground (> 0.035) lies below delta_l = 0.1, so all is
  // background, as wsolevaluation applies mask_bg after mask_fg.
  const torch::Tensor maps = torch::tensor({0.05f, 0.04f, 0.0f}).reshape({1, 1, 3});
  EXPECT_TRUE(torch::equal(SpgSeeds(maps, 0.7, 0.1, 30), torch::zeros({1, 1, 3})));
}

TEST(SpgSeedsTest, MinimumForegroundIsThirtyPixelsAt224ScaledByArea) {
  EXPECT_EQ(SpgMinForeground(224, 224), 30);
  EXPECT_EQ(SpgMinForeground(64, 64), 3);  // 30 * 4096 / 50176 = 2.45, rounded up
  EXPECT_EQ(SpgMinForeground(448, 448), 120);
}

TEST(SeededBinaryCrossEntropyTest, AveragesOverSeededPixelsOnly) {
  const torch::Tensor logits = torch::tensor({2.0f, -1.0f, 5.0f, 0.5f}).reshape({1, 2, 2});
  const torch::Tensor seeds = torch::tensor({1.0f, 0.0f, -1.0f, 1.0f}).reshape({1, 2, 2});
  const double expected =
      (std::log1p(std::exp(-2.0)) + std::log1p(std::exp(-1.0)) + std::log1p(std::exp(-0.5))) / 3.0;
  EXPECT_NEAR(SeededBinaryCrossEntropy(logits, seeds).item<double>(), expected, 1e-6);
  EXPECT_EQ(SeededBinaryCrossEntropy(logits, torch::full({1, 2, 2}, -1.0f)).item<float>(), 0.0f);
}

class SpgMethodTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net_ = testing::TinyBackbone();
    SpgMethod::Options options;
    options.branch_channels = 16;
    options.head_channels = 8;
    spg_ = std::make_shared<SpgMethod>(options);
    spg_->Attach(*net_, testing::kTinyClasses);
    batch_ = testing::MakeTinyBatch(3, 64);
  }
  std::shared_ptr<backbones::Backbone> net_;
  std::shared_ptr<SpgMethod> spg_;
  testing::TinyBatch batch_;
};

TEST_F(SpgMethodTest, SideBranchesReadLayer3AndAreRegistered) {
  EXPECT_THAT(spg_->side_blocks(), ElementsAre("layer3.0", "layer3.5"));
  std::set<std::string> heads;
  for (const auto& item : spg_->named_parameters()) {
    heads.insert(item.key().substr(0, item.key().find('.')));
  }
  EXPECT_THAT(heads, ElementsAre("SPG_B_1a", "SPG_B_2a", "SPG_B_shared", "SPG_C"));
  EXPECT_EQ(spg_->ExtraParameters().size(), spg_->parameters().size());
  EXPECT_EQ(spg_->ExtraParameters().size(), 12u);  // six convs, weight and bias each
}

TEST_F(SpgMethodTest, SeedsComeFromTheDocumentedSources) {
  net_->eval();
  torch::NoGradGuard no_grad;
  const SpgForward run = spg_->Run(*net_, batch_.images, batch_.labels);
  ASSERT_EQ(run.b1.sizes(), (std::vector<int64_t>{3, 64, 64}));
  ASSERT_EQ(run.b2.sizes(), run.b1.sizes());
  ASSERT_EQ(run.c.sizes(), run.b1.sizes());
  // The attention is the labels' CAM, upsampled to the input and normalized.
  const backbones::BackboneOutput out = net_->Forward(batch_.images);
  const torch::Tensor cams =
      cam::ClassActivationMaps(out.features, net_->ClassifierWeight(), batch_.labels);
  const torch::Tensor attention = cam::NormalizeMinMax(
      torch::upsample_bilinear2d(cams.unsqueeze(1), {64, 64}, false).squeeze(1));
  EXPECT_TRUE(torch::allclose(run.attention, attention, 1e-5, 1e-6));
  const int64_t min_fg = SpgMinForeground(64, 64);
  // Defaults: (0.7, 0.01), (0.5, 0.05), (0.7, 0.1), wsolevaluation's config.py.
  EXPECT_TRUE(torch::equal(run.seeds_b2, SpgSeeds(run.attention, 0.7, 0.01, min_fg)));
  const torch::Tensor b2 = torch::sigmoid(run.b2);
  EXPECT_TRUE(torch::equal(run.seeds_b1, SpgSeeds(b2, 0.5, 0.05, min_fg)));
  const torch::Tensor fused = (torch::sigmoid(run.b1) + b2) / 2;
  EXPECT_TRUE(torch::equal(run.seeds_c, SpgSeeds(fused, 0.7, 0.1, min_fg)));
  // The normalized CAM always seeds its peak as foreground.
  EXPECT_TRUE((run.seeds_b2 == 1).flatten(1).any(1).all().item<bool>());
}

TEST_F(SpgMethodTest, LossAddsTheThreeGuidanceTermsToTheClassifierLoss) {
  net_->eval();
  torch::NoGradGuard no_grad;
  auto none = std::make_unique<regularizers::NoRegularizer>();
  std::mt19937_64 rng(0);
  const methods::StepOutput step =
      spg_->TrainingStep(*net_, batch_.images, batch_.targets, *none, rng);
  const SpgForward run = spg_->Run(*net_, batch_.images, batch_.labels);
  const double guidance = (SeededBinaryCrossEntropy(run.b2, run.seeds_b2) +
                           SeededBinaryCrossEntropy(run.b1, run.seeds_b1) +
                           SeededBinaryCrossEntropy(run.c, run.seeds_c))
                              .item<double>();
  const double ce = none->Loss(run.logits, batch_.targets).total.item<double>();
  EXPECT_NEAR(step.loss.total.item<double>(), ce + guidance, 1e-5);
  EXPECT_NEAR(step.loss.classification.item<double>(), ce, 1e-5);
}

TEST_F(SpgMethodTest, InferenceIsThePlainCamAndTheHookIsPassive) {
  net_->eval();
  spg_->eval();
  torch::NoGradGuard no_grad;
  const methods::Inference inference = spg_->Infer(*net_, batch_.images, batch_.labels);
  const backbones::BackboneOutput out = net_->Forward(batch_.images);
  EXPECT_TRUE(torch::allclose(
      inference.cams,
      cam::ClassActivationMaps(out.features, net_->ClassifierWeight(), batch_.labels)));
}

TEST(SpgAttachTest, Vgg16SideBranches) {
  auto vgg = testing::TinyBackbone("vgg16");
  SpgMethod::Options options;
  options.branch_channels = 8;
  options.head_channels = 8;
  SpgMethod spg(options);
  spg.Attach(*vgg, testing::kTinyClasses);
  EXPECT_THAT(spg.side_blocks(), ElementsAre("stage4", "stage5"));
  torch::NoGradGuard no_grad;
  vgg->eval();
  const testing::TinyBatch batch = testing::MakeTinyBatch(2, 64);
  const SpgForward run = spg.Run(*vgg, batch.images, batch.labels);
  EXPECT_EQ(run.b1.sizes(), (std::vector<int64_t>{2, 64, 64}));
}

// Which SGD group (0: base rate, 1: new-layer rate) holds `p`; -1 when none.
int GroupOf(torch::optim::SGD& sgd, const torch::Tensor& p) {
  for (int g = 0; g < 2; ++g) {
    for (const torch::Tensor& q : sgd.param_groups()[g].params()) {
      if (q.is_same(p)) return g;
    }
  }
  return -1;
}

TEST(SpgLearningRateTest, TheClassifierTrainsAtTheRateWsolevaluationGivesSpgA4) {
  // wsolevaluation's SPG classifies with SPG_A4, a head outside the names its 10x group
  // picks on ResNet (layer4.*, fc.*): the base rate there; on VGG16 every added head is
  // at 10x. Our SPG classifies with the backbone's fc, so the fc follows SPG_A4's rate.
  for (const auto& [architecture, want] : std::vector<std::pair<std::string, int>>{
           {"preresnet18", 0}, {"resnet50", 0}, {"vgg16", 1}}) {
    SCOPED_TRACE(architecture);
    torch::manual_seed(0);
    SpgMethod::Options options;
    options.branch_channels = 8;
    options.head_channels = 8;
    auto model = std::make_shared<train::WsolModel>(testing::TinyBackbone(architecture),
                                                    std::make_shared<SpgMethod>(options),
                                                    testing::kTinyClasses);
    auto sgd = train::MakeSgd(*model, train::SgdSettings{});
    EXPECT_EQ(GroupOf(*sgd, model->backbone().ClassifierWeight()), want);
    for (const torch::Tensor& p : model->backbone().ClassifierParameters()) {
      EXPECT_EQ(GroupOf(*sgd, p), want);
    }
    // Every parameter is in exactly one group.
    EXPECT_EQ(sgd->param_groups()[0].params().size() + sgd->param_groups()[1].params().size(),
              model->parameters().size());
  }
}

}  // namespace
}  // namespace wsol::baselines
