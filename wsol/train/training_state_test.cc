#include "wsol/train/training_state.h"

#include <cstdio>
#include <filesystem>

#include <torch/torch.h>

#include "baselines/cam_method.h"
#include "gtest/gtest.h"
#include "wsol/backbones/backbone_registry.h"

namespace wsol::train {
namespace {

std::shared_ptr<WsolModel> TinyModel(int seed) {
  torch::manual_seed(seed);
  return std::make_shared<WsolModel>(
      backbones::CreateBackbone("resnet50", {.num_classes = 3, .width_multiplier = 0.0625}),
      std::make_shared<baselines::CamMethod>(), 3);
}

TEST(LearningRateTest, StepDecayAndClassifierMultiplier) {
  SgdSettings s;  // lr 0.01, x0.1 every 15 epochs, new layers x10 (wsolevaluation).
  EXPECT_DOUBLE_EQ(LearningRateForEpoch(s, 0), 0.01);
  EXPECT_DOUBLE_EQ(LearningRateForEpoch(s, 14), 0.01);
  EXPECT_NEAR(LearningRateForEpoch(s, 15), 0.001, 1e-15);
  EXPECT_NEAR(LearningRateForEpoch(s, 31), 0.0001, 1e-15);
  auto model = TinyModel(0);
  auto sgd = MakeSgd(*model, s);
  SetEpochLearningRate(*sgd, s, 15);
  EXPECT_NEAR(static_cast<torch::optim::SGDOptions&>(sgd->param_groups()[0].options()).lr(), 0.001,
              1e-15);
  EXPECT_NEAR(static_cast<torch::optim::SGDOptions&>(sgd->param_groups()[1].options()).lr(), 0.01,
              1e-15);
  // The two groups hold every parameter of the model.
  size_t in_groups = sgd->param_groups()[0].params().size() + sgd->param_groups()[1].params().size();
  EXPECT_EQ(in_groups, model->parameters().size());
}

TEST(CheckpointTest, RoundTripRestoresWeightsMomentumAndMeta) {
  const std::string path = ::testing::TempDir() + "/ckpt.pt";
  SgdSettings s;
  auto a = TinyModel(1);
  auto sgd_a = MakeSgd(*a, s);
  torch::Tensor images = torch::randn({2, 3, 32, 32});
  auto step = [&](WsolModel& m, torch::optim::SGD& sgd) {
    sgd.zero_grad();
    torch::Tensor loss = torch::cross_entropy_loss(m.backbone().Forward(images).logits,
                                                   torch::tensor({0, 2}));
    loss.backward();
    sgd.step();
  };
  step(*a, *sgd_a);
  SaveCheckpoint(path, *a, sgd_a.get(),
                 {.next_epoch = 4, .best_score = 61.5, .best_epoch = 2,
                  .spec_fingerprint = "abc", .history_csv = "epoch\n1\n"});
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  auto b = TinyModel(2);  // Different initial weights.
  auto sgd_b = MakeSgd(*b, s);
  CheckpointMeta meta = LoadCheckpoint(path, *b, sgd_b.get());
  EXPECT_EQ(meta.next_epoch, 4);
  EXPECT_DOUBLE_EQ(meta.best_score, 61.5);
  EXPECT_EQ(meta.best_epoch, 2);
  EXPECT_EQ(meta.spec_fingerprint, "abc");
  EXPECT_EQ(meta.history_csv, "epoch\n1\n");
  // One more identical step from both must give identical weights only if the momentum
  // buffers were restored too.
  step(*a, *sgd_a);
  step(*b, *sgd_b);
  auto pa = a->parameters();
  auto pb = b->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(pa[i].equal(pb[i])) << i;
}

TEST(CheckpointTest, CorruptFileThrows) {
  const std::string path = ::testing::TempDir() + "/corrupt.pt";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    std::fputs("not a checkpoint", f);
    std::fclose(f);
  }
  auto model = TinyModel(3);
  EXPECT_THROW(LoadCheckpoint(path, *model, nullptr), c10::Error);
}

}  // namespace
}  // namespace wsol::train
