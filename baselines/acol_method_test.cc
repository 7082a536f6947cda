// ACoL: the erased region is exactly where branch A's normalized map of the label
// reaches the threshold, the loss sums both branches, and the CAM fuses them.
#include "baselines/acol_method.h"

#include <torch/types.h>

#include <random>

#include "baselines/method_testing.h"
#include "gtest/gtest.h"
#include "wsol/regularizers/entropy_kl_uniform.h"
#include "wsol/regularizers/no_regularizer.h"

namespace wsol::baselines {
namespace {

TEST(AcolEraseMaskTest, MatchesTheThresholdOnTheLabelsNormalizedMap) {
  // Image 0, label 1: values 0, 1, 2, 3, 4, 2 normalize to 0, .25, .5, .75, 1, .5 (exact
  // in binary), so threshold 0.5 erases the last four (>= is inclusive). Image 1, label 0:
  // 10, 30, 20, 10, 10, 50 normalize to 0, .5, .25, 0, 0, 1.
  torch::Tensor maps = torch::zeros({2, 2, 2, 3});
  maps[0][1] = torch::tensor({{0.f, 1.f, 2.f}, {3.f, 4.f, 2.f}});
  maps[0][0] = torch::tensor({{9.f, 0.f, 0.f}, {0.f, 0.f, 0.f}});  // not the label: ignored
  maps[1][0] = torch::tensor({{10.f, 30.f, 20.f}, {10.f, 10.f, 50.f}});
  const torch::Tensor labels = torch::tensor({1, 0});
  const torch::Tensor mask = AcolEraseMask(maps, labels, 0.5);
  ASSERT_EQ(mask.sizes(), (std::vector<int64_t>{2, 1, 2, 3}));
  EXPECT_TRUE(torch::equal(mask[0][0], torch::tensor({{0.f, 0.f, 1.f}, {1.f, 1.f, 1.f}})));
  EXPECT_TRUE(torch::equal(mask[1][0], torch::tensor({{0.f, 1.f, 0.f}, {0.f, 0.f, 1.f}})));
  // Threshold 1 erases only each map's maximum.
  EXPECT_EQ(AcolEraseMask(maps, labels, 1.0).sum().item<float>(), 2.0f);
}

class AcolMethodTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net_ = testing::TinyBackbone();
    acol_ = std::make_shared<AcolMethod>(/*erasing_threshold=*/0.6, /*hidden_channels=*/16);
    acol_->Attach(*net_, testing::kTinyClasses);
    batch_ = testing::MakeTinyBatch(3, 64);
  }
  std::shared_ptr<backbones::Backbone> net_;
  std::shared_ptr<AcolMethod> acol_;
  testing::TinyBatch batch_;
};

TEST_F(AcolMethodTest, BranchBSeesTheFeaturesErasedWhereBranchAReachesTheThreshold) {
  net_->eval();
  acol_->train();
  torch::NoGradGuard no_grad;
  const AcolForward run = acol_->Run(*net_, batch_.images, batch_.labels);
  const torch::Tensor features = net_->Forward(batch_.images).features;
  const torch::Tensor mask = AcolEraseMask(run.maps_a, batch_.labels, 0.6);
  EXPECT_TRUE(torch::equal(run.erase_mask, mask));
  EXPECT_TRUE(torch::equal(run.erased_features, features * (1 - mask)));
  // Every image has its peak erased, and erased locations are zero in every channel.
  EXPECT_TRUE((mask.flatten(1).sum(1) >= 1).all().item<bool>());
  EXPECT_EQ((run.erased_features * mask).abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(run.maps_a.sizes(), (std::vector<int64_t>{3, testing::kTinyClasses, 4, 4}));
  EXPECT_TRUE(torch::allclose(run.logits_a, run.maps_a.mean({2, 3})));
  EXPECT_TRUE(torch::allclose(run.logits_b, run.maps_b.mean({2, 3})));
}

TEST_F(AcolMethodTest, LossIsTheSumOverBothBranches) {
  net_->eval();
  torch::NoGradGuard no_grad;
  auto er = std::make_unique<regularizers::EntropyKlUniform>(
      regularizers::EntropyKlUniformOptions{.lambda = 0.5});
  std::mt19937_64 rng(0);
  const methods::StepOutput step =
      acol_->TrainingStep(*net_, batch_.images, batch_.targets, *er, rng);
  const AcolForward run = acol_->Run(*net_, batch_.images, batch_.labels);
  const regularizers::LossTerms a = er->Loss(run.logits_a, batch_.targets);
  const regularizers::LossTerms b = er->Loss(run.logits_b, batch_.targets);
  EXPECT_NEAR(step.loss.total.item<double>(), (a.total + b.total).item<double>(), 1e-5);
  EXPECT_NEAR(step.loss.regularization.item<double>(),
              (a.regularization + b.regularization).item<double>(), 1e-6);
  EXPECT_TRUE(torch::allclose(step.logits, run.logits_a));
}

TEST_F(AcolMethodTest, CamIsTheMaxOfBothBranchesNormalizedMaps) {
  net_->eval();
  acol_->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor classes = torch::tensor({2, 0, 3});
  const methods::Inference inference = acol_->Infer(*net_, batch_.images, classes);
  const AcolForward run = acol_->Run(*net_, batch_.images, classes);
  ASSERT_EQ(inference.cams.sizes(), (std::vector<int64_t>{3, 4, 4}));
  for (int64_t b = 0; b < 3; ++b) {
    auto normalized = [&](const torch::Tensor& maps) {
      const torch::Tensor m = maps[b][classes[b].item<int64_t>()];
      return (m - m.min()) / (m.max() - m.min());
    };
    EXPECT_TRUE(torch::allclose(inference.cams[b],
                                torch::max(normalized(run.maps_a), normalized(run.maps_b))));
  }
  EXPECT_TRUE(torch::allclose(inference.logits, run.logits_a));
}

TEST_F(AcolMethodTest, BranchesAreRegisteredSubmodulesAndExtraParameters) {
  int64_t a = 0, b = 0;
  for (const auto& item : acol_->named_parameters()) {
    a += item.key().rfind("classifier_A.", 0) == 0;
    b += item.key().rfind("classifier_B.", 0) == 0;
  }
  EXPECT_EQ(a, 6);  // three convs, weight and bias each
  EXPECT_EQ(b, 6);
  EXPECT_EQ(acol_->ExtraParameters().size(), 12u);
}

}  // namespace
}  // namespace wsol::baselines
