// Checks that the LibTorch the build links (Debian's or $LIBTORCH_HOME) runs a tiny conv
// net forward and backward and that autograd's gradient matches a hand-derived one.
#include <torch/nn/functional.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pooling.h>
#include <torch/types.h>

#include "gtest/gtest.h"

namespace {

TEST(TorchSmokeTest, ConvNetForwardBackward) {
  torch::manual_seed(0);
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).padding(1)),
                            torch::nn::ReLU(), torch::nn::AdaptiveAvgPool2d(1),
                            torch::nn::Flatten(), torch::nn::Linear(4, 5));
  torch::Tensor x = torch::randn({2, 3, 8, 8});
  torch::Tensor logits = net->forward(x);
  ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{2, 5}));
  torch::Tensor loss = torch::nn::functional::cross_entropy(logits, torch::tensor({1, 3}));
  loss.backward();
  for (const auto& p : net->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_TRUE(torch::isfinite(p.grad()).all().item<bool>());
  }
  // The gradient of mean cross-entropy w.r.t. the last bias is mean(softmax - onehot).
  torch::Tensor expected = (torch::softmax(logits.detach(), 1) -
                            torch::one_hot(torch::tensor({1, 3}), 5).to(torch::kFloat))
                               .mean(0);
  auto linear = net->children().back()->as<torch::nn::Linear>();
  EXPECT_TRUE(torch::allclose(linear->bias.grad(), expected, 1e-5, 1e-6));
}

}  // namespace
