// CutMix pastes one box from a permutation of the batch and mixes the targets by exactly
// the pasted area.
#include "baselines/cutmix_method.h"

#include <torch/types.h>

#include <random>

#include "baselines/method_testing.h"
#include "gtest/gtest.h"
#include "wsol/regularizers/entropy_kl_uniform.h"
#include "wsol/regularizers/no_regularizer.h"

namespace wsol::baselines {
namespace {

using torch::indexing::Slice;

TEST(CutMixTest, TargetWeightEqualsTheExactPastedArea) {
  torch::manual_seed(0);
  const int64_t batch = 6, height = 20, width = 24;
  const torch::Tensor images = torch::randn({batch, 3, height, width});
  const torch::Tensor targets =
      torch::one_hot(torch::tensor({0, 1, 2, 3, 4, 5}), 6).to(torch::kFloat);
  int partial = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::mt19937_64 rng(seed);
    const CutMixBatch mixed = CutMix(images, targets, /*beta=*/1.0, rng);
    const CutMixBox& box = mixed.box;
    ASSERT_LE(0, box.y0);
    ASSERT_LE(box.y0, box.y1);
    ASSERT_LE(box.y1, height);
    ASSERT_LE(0, box.x0);
    ASSERT_LE(box.x0, box.x1);
    ASSERT_LE(box.x1, width);
    const double area = static_cast<double>(box.Area()) / (height * width);
    EXPECT_DOUBLE_EQ(mixed.pasted_fraction, area);
    const torch::Tensor perm = torch::tensor(mixed.permutation);
    // Pixels: the box comes from the permuted image, everything else is unchanged.
    torch::Tensor expected = images.clone();
    expected.index_put_({Slice(), Slice(), Slice(box.y0, box.y1), Slice(box.x0, box.x1)},
                        images.index_select(0, perm).index(
                            {Slice(), Slice(), Slice(box.y0, box.y1), Slice(box.x0, box.x1)}));
    EXPECT_TRUE(torch::equal(mixed.images, expected)) << "seed " << seed;
    // Targets: each row puts 1 - area on its own class and area on the source's class.
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t source = mixed.permutation[b];
      for (int64_t c = 0; c < batch; ++c) {
        double want = 0.0;
        if (c == b) want += 1.0 - area;
        if (c == source) want += area;
        EXPECT_NEAR(mixed.targets[b][c].item<float>(), want, 1e-6) << seed << " " << b;
      }
    }
    if (area > 0.0 && area < 1.0) ++partial;
  }
  EXPECT_GT(partial, 10);  // most draws paste a proper box
}

TEST(CutMixBoxTest, SideIsTruncatedSqrtOfOneMinusLamAndClippedToTheImage) {
  // lam = 0.75: cut sides int(20 * 0.5) = 10 and int(24 * 0.5) = 12, five and six pixels
  // on each side of the centre before clipping.
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::mt19937_64 rng(seed);
    const CutMixBox box = CutMixBoxFor(20, 24, 0.75, rng);
    std::mt19937_64 replay(seed);
    const int64_t cy = std::uniform_int_distribution<int64_t>(0, 19)(replay);
    const int64_t cx = std::uniform_int_distribution<int64_t>(0, 23)(replay);
    EXPECT_EQ(box.y0, std::max<int64_t>(0, cy - 5));
    EXPECT_EQ(box.y1, std::min<int64_t>(20, cy + 5));
    EXPECT_EQ(box.x0, std::max<int64_t>(0, cx - 6));
    EXPECT_EQ(box.x1, std::min<int64_t>(24, cx + 6));
  }
}

TEST(CutMixMethodTest, EvalModeAndProbabilityZeroLeaveTheBatchAlone) {
  auto net = testing::TinyBackbone();
  net->eval();
  const testing::TinyBatch batch = testing::MakeTinyBatch(4, 32);
  auto none = std::make_unique<regularizers::NoRegularizer>();
  torch::NoGradGuard no_grad;
  const torch::Tensor plain = net->Forward(batch.images).logits;
  std::mt19937_64 rng(3);

  CutMixMethod always(1.0, 1.0);
  always.eval();
  EXPECT_TRUE(torch::allclose(
      always.TrainingStep(*net, batch.images, batch.targets, *none, rng).logits, plain));
  CutMixMethod never(1.0, 0.0);
  never.train();
  methods::StepOutput out = never.TrainingStep(*net, batch.images, batch.targets, *none, rng);
  EXPECT_TRUE(torch::allclose(out.logits, plain));
  // The loss is then the plain cross-entropy against the one-hot targets.
  EXPECT_NEAR(out.loss.total.item<double>(),
              torch::nll_loss(torch::log_softmax(plain, 1), batch.labels).item<double>(), 1e-5);
}

TEST(CutMixMethodTest, TrainingLossIsTheCrossEntropyAgainstTheMixedTargets) {
  auto net = testing::TinyBackbone();
  net->eval();
  const testing::TinyBatch batch = testing::MakeTinyBatch(4, 32);
  auto none = std::make_unique<regularizers::NoRegularizer>();
  torch::NoGradGuard no_grad;
  CutMixMethod method(1.0, 1.0);
  method.train();
  std::mt19937_64 rng(9);
  const methods::StepOutput out =
      method.TrainingStep(*net, batch.images, batch.targets, *none, rng);
  // Replay: the method draws the probability first, then CutMix.
  std::mt19937_64 replay(9);
  std::uniform_real_distribution<double>(0.0, 1.0)(replay);
  const CutMixBatch mixed = CutMix(batch.images, batch.targets, 1.0, replay);
  const torch::Tensor logits = net->Forward(mixed.images).logits;
  EXPECT_TRUE(torch::allclose(out.logits, logits));
  const double ce = -(mixed.targets * torch::log_softmax(logits, 1)).sum(1).mean().item<double>();
  EXPECT_NEAR(out.loss.total.item<double>(), ce, 1e-5);
}

}  // namespace
}  // namespace wsol::baselines
