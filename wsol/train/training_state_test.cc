#include "wsol/train/training_state.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "wsol/backbones/backbone_registry.h"
#include "wsol/methods/cam_method.h"

namespace wsol::train {
namespace {

std::shared_ptr<WsolModel> TinyModel(int seed) {
  torch::manual_seed(seed);
  return std::make_shared<WsolModel>(
      backbones::CreateBackbone("resnet50", {.num_classes = 3, .width_multiplier = 0.0625}),
      std::make_shared<methods::CamMethod>(), 3);
}

TEST(LearningRateTest, DecaysAsWsolevaluationCountsEpochs) {
  // wsolevaluation's main.py, worked by hand for --lr_decay_frequency 3 and 10 epochs:
  // before 0-based epoch e it calls adjust_learning_rate(e + 1), which multiplies the
  // rate by 0.1 when e + 1 is a multiple of 3, i.e. before epochs 2, 5 and 8.
  SgdSettings s{.lr = 1.0, .decay_every_epochs = 3, .decay_factor = 0.1};
  const double want[10] = {1, 1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001};
  for (int epoch = 0; epoch < 10; ++epoch) {
    EXPECT_NEAR(LearningRateForEpoch(s, epoch), want[epoch], 1e-15) << "epoch " << epoch;
  }
}

TEST(LearningRateTest, StepDecayAndClassifierMultiplier) {
  SgdSettings s;  // lr 0.01, x0.1 every 30 epochs, new layers x10 (wsolevaluation).
  EXPECT_DOUBLE_EQ(LearningRateForEpoch(s, 0), 0.01);
  EXPECT_DOUBLE_EQ(LearningRateForEpoch(s, 28), 0.01);
  EXPECT_NEAR(LearningRateForEpoch(s, 29), 0.001, 1e-15);
  EXPECT_NEAR(LearningRateForEpoch(s, 59), 0.0001, 1e-15);
  auto model = TinyModel(0);
  auto sgd = MakeSgd(*model, s);
  SetEpochLearningRate(*sgd, s, 29);
  EXPECT_NEAR(static_cast<torch::optim::SGDOptions&>(sgd->param_groups()[0].options()).lr(), 0.001,
              1e-15);
  EXPECT_NEAR(static_cast<torch::optim::SGDOptions&>(sgd->param_groups()[1].options()).lr(), 0.01,
              1e-15);
  // The two groups hold every parameter of the model.
  size_t in_groups =
      sgd->param_groups()[0].params().size() + sgd->param_groups()[1].params().size();
  EXPECT_EQ(in_groups, model->parameters().size());
}

// Which SGD group (0: base rate, 1: new-layer rate) holds each of `params`.
std::vector<int> GroupsOf(torch::optim::SGD& sgd, const std::vector<torch::Tensor>& params) {
  std::vector<int> groups;
  for (const torch::Tensor& p : params) {
    int found = -1;
    for (int g = 0; g < 2; ++g) {
      for (const torch::Tensor& q : sgd.param_groups()[g].params()) {
        if (q.unsafeGetTensorImpl() == p.unsafeGetTensorImpl()) found = g;
      }
    }
    groups.push_back(found);
  }
  return groups;
}

// A method with a branch of its own, as ACoL's and SPG's heads are.
class BranchMethod : public methods::Method {
 public:
  BranchMethod() {
    branch_ = register_module("classifier_A", torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 8, 3)));
  }
  std::string Name() const override { return "branch"; }

 private:
  torch::nn::Conv2d branch_{nullptr};
};

TEST(LearningRateTest, MethodBranchesJoinTheGroupWsolevaluationGivesThem) {
  // wsolevaluation's name rule: on ResNet only layer4.* and fc.* get the 10x rate, so
  // ACoL's classifier_A / classifier_B train at the base rate; on VGG16 everything outside
  // features.* gets 10x, the ACoL heads included.
  for (const auto& [architecture, want_group] :
       std::vector<std::pair<std::string, int>>{{"resnet50", 0}, {"vgg16", 1}}) {
    SCOPED_TRACE(architecture);
    torch::manual_seed(0);
    auto acol = std::make_shared<BranchMethod>();
    auto model = std::make_shared<WsolModel>(
        backbones::CreateBackbone(architecture, {.num_classes = 3, .width_multiplier = 0.0625}),
        acol, 3);
    auto sgd = MakeSgd(*model, SgdSettings{});
    const std::vector<torch::Tensor> branches = acol->ExtraParameters();
    ASSERT_FALSE(branches.empty());
    for (int group : GroupsOf(*sgd, branches)) EXPECT_EQ(group, want_group);
    // The classifier is a new layer on both.
    EXPECT_EQ(GroupsOf(*sgd, {model->backbone().ClassifierWeight()}), std::vector<int>{1});
    size_t in_groups =
        sgd->param_groups()[0].params().size() + sgd->param_groups()[1].params().size();
    EXPECT_EQ(in_groups, model->parameters().size());
  }
}

TEST(CheckpointTest, RoundTripRestoresWeightsMomentumAndMeta) {
  const std::string path = ::testing::TempDir() + "/ckpt.pt";
  SgdSettings s;
  auto a = TinyModel(1);
  auto sgd_a = MakeSgd(*a, s);
  torch::Tensor images = torch::randn({2, 3, 32, 32});
  auto step = [&](WsolModel& m, torch::optim::SGD& sgd) {
    sgd.zero_grad();
    torch::Tensor loss =
        torch::cross_entropy_loss(m.backbone().Forward(images).logits, torch::tensor({0, 2}));
    loss.backward();
    sgd.step();
  };
  step(*a, *sgd_a);
  std::ofstream(path, std::ios::binary) << SerializeCheckpoint(*a, sgd_a.get(),
                                                               {.next_epoch = 4,
                                                                .best_score = 61.5,
                                                                .best_epoch = 2,
                                                                .spec_fingerprint = "abc",
                                                                .history_csv = "epoch\n1\n"});

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
