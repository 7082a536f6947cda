#include "wsol/backbones/inception_v3.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/pooling.h>
#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

namespace wsol::backbones {
namespace {

namespace nn = torch::nn;

constexpr double kHeadDropout = 0.5;

// Conv (no bias) + BatchNorm (eps 0.001) + ReLU; torchvision's BasicConv2d.
struct BasicConv2dImpl : nn::Module {
  BasicConv2dImpl(int64_t in, int64_t out, std::vector<int64_t> kernel, int64_t stride = 1,
                  std::vector<int64_t> padding = {0, 0}) {
    conv = register_module(
        "conv",
        nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false)));
    bn = register_module("bn", nn::BatchNorm2d(nn::BatchNorm2dOptions(out).eps(0.001)));
  }
  BasicConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0)
      : BasicConv2dImpl(in, out, {kernel, kernel}, stride, {padding, padding}) {}
  torch::Tensor forward(const torch::Tensor& x) { return torch::relu(bn(conv(x))); }
  nn::Conv2d conv{nullptr};
  nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(BasicConv2d);

torch::Tensor AvgPool3x3(const torch::Tensor& x) {
  // F.avg_pool2d(x, 3, stride=1, padding=1): padding counts towards the mean.
  return torch::avg_pool2d(x, {3, 3}, {1, 1}, {1, 1}, /*ceil_mode=*/false,
                           /*count_include_pad=*/true);
}

// 35x35 block (torchvision InceptionA): 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avgpool-1x1.
struct InceptionAImpl : nn::Module {
  InceptionAImpl(int64_t in, int64_t pool_features, double w) {
    const auto c = [w](int64_t n) { return ScaledChannels(n, w); };
    branch1x1 = register_module("branch1x1", BasicConv2d(in, c(64), 1));
    branch5x5_1 = register_module("branch5x5_1", BasicConv2d(in, c(48), 1));
    branch5x5_2 = register_module("branch5x5_2", BasicConv2d(c(48), c(64), 5, 1, 2));
    branch3x3dbl_1 = register_module("branch3x3dbl_1", BasicConv2d(in, c(64), 1));
    branch3x3dbl_2 = register_module("branch3x3dbl_2", BasicConv2d(c(64), c(96), 3, 1, 1));
    branch3x3dbl_3 = register_module("branch3x3dbl_3", BasicConv2d(c(96), c(96), 3, 1, 1));
    branch_pool = register_module("branch_pool", BasicConv2d(in, c(pool_features), 1));
    out_channels = c(64) + c(64) + c(96) + c(pool_features);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return torch::cat(
        {branch1x1(x), branch5x5_2(branch5x5_1(x)),
         branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x))), branch_pool(AvgPool3x3(x))},
        1);
  }
  BasicConv2d branch1x1{nullptr}, branch5x5_1{nullptr}, branch5x5_2{nullptr},
      branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr}, branch3x3dbl_3{nullptr},
      branch_pool{nullptr};
  int64_t out_channels = 0;
};
TORCH_MODULE(InceptionA);

// Torchvision's grid-reduction block InceptionB (Mixed_6a): 3x3 | 1x1-3x3-3x3 | maxpool,
// made non-strided by wsolevaluation: stride 1 and padding 1 on the two 3x3 convs that
// were strided and on the pool, so the block keeps the resolution.
struct InceptionBImpl : nn::Module {
  InceptionBImpl(int64_t in, double w) {
    const auto c = [w](int64_t n) { return ScaledChannels(n, w); };
    branch3x3 = register_module("branch3x3", BasicConv2d(in, c(384), 3, 1, 1));
    branch3x3dbl_1 = register_module("branch3x3dbl_1", BasicConv2d(in, c(64), 1));
    branch3x3dbl_2 = register_module("branch3x3dbl_2", BasicConv2d(c(64), c(96), 3, 1, 1));
    branch3x3dbl_3 = register_module("branch3x3dbl_3", BasicConv2d(c(96), c(96), 3, 1, 1));
    out_channels = c(384) + c(96) + in;
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return torch::cat({branch3x3(x), branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x))),
                       torch::max_pool2d(x, {3, 3}, {1, 1}, {1, 1})},
                      1);
  }
  BasicConv2d branch3x3{nullptr}, branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr},
      branch3x3dbl_3{nullptr};
  int64_t out_channels = 0;
};
TORCH_MODULE(InceptionB);

// 17x17 block with factorized 7x7 convolutions (torchvision InceptionC).
struct InceptionCImpl : nn::Module {
  InceptionCImpl(int64_t in, int64_t channels_7x7, double w) {
    const auto c = [w](int64_t n) { return ScaledChannels(n, w); };
    const int64_t c7 = c(channels_7x7);
    const std::vector<int64_t> k17 = {1, 7}, k71 = {7, 1}, p17 = {0, 3}, p71 = {3, 0};
    branch1x1 = register_module("branch1x1", BasicConv2d(in, c(192), 1));
    branch7x7_1 = register_module("branch7x7_1", BasicConv2d(in, c7, 1));
    branch7x7_2 = register_module("branch7x7_2", BasicConv2d(c7, c7, k17, 1, p17));
    branch7x7_3 = register_module("branch7x7_3", BasicConv2d(c7, c(192), k71, 1, p71));
    branch7x7dbl_1 = register_module("branch7x7dbl_1", BasicConv2d(in, c7, 1));
    branch7x7dbl_2 = register_module("branch7x7dbl_2", BasicConv2d(c7, c7, k71, 1, p71));
    branch7x7dbl_3 = register_module("branch7x7dbl_3", BasicConv2d(c7, c7, k17, 1, p17));
    branch7x7dbl_4 = register_module("branch7x7dbl_4", BasicConv2d(c7, c7, k71, 1, p71));
    branch7x7dbl_5 = register_module("branch7x7dbl_5", BasicConv2d(c7, c(192), k17, 1, p17));
    branch_pool = register_module("branch_pool", BasicConv2d(in, c(192), 1));
    out_channels = 4 * c(192);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor dbl = branch7x7dbl_2(branch7x7dbl_1(x));
    dbl = branch7x7dbl_5(branch7x7dbl_4(branch7x7dbl_3(dbl)));
    return torch::cat(
        {branch1x1(x), branch7x7_3(branch7x7_2(branch7x7_1(x))), dbl, branch_pool(AvgPool3x3(x))},
        1);
  }
  BasicConv2d branch1x1{nullptr}, branch7x7_1{nullptr}, branch7x7_2{nullptr}, branch7x7_3{nullptr},
      branch7x7dbl_1{nullptr}, branch7x7dbl_2{nullptr}, branch7x7dbl_3{nullptr},
      branch7x7dbl_4{nullptr}, branch7x7dbl_5{nullptr}, branch_pool{nullptr};
  int64_t out_channels = 0;
};
TORCH_MODULE(InceptionC);

// 3x3 max pool, stride 2, ceil mode (the stem pools also pad by 1).
torch::Tensor MaxPool3x3s2(const torch::Tensor& x, int64_t padding) {
  return torch::max_pool2d(x, {3, 3}, {2, 2}, {padding, padding}, {1, 1}, /*ceil_mode=*/true);
}

class InceptionV3 : public Backbone {
 public:
  explicit InceptionV3(const BackboneOptions& options)
      : large_feature_map_(options.large_feature_map) {
    const double w = options.width_multiplier;
    const auto c = [w](int64_t n) { return ScaledChannels(n, w); };
    conv1a_ = register_module("Conv2d_1a_3x3", BasicConv2d(3, c(32), 3, 2, 1));
    conv2a_ = register_module("Conv2d_2a_3x3", BasicConv2d(c(32), c(32), 3, 1, 0));
    conv2b_ = register_module("Conv2d_2b_3x3", BasicConv2d(c(32), c(64), 3, 1, 1));
    conv3b_ = register_module("Conv2d_3b_1x1", BasicConv2d(c(64), c(80), 1, 1, 0));
    conv4a_ = register_module("Conv2d_4a_3x3", BasicConv2d(c(80), c(192), 3, 1, 0));

    int64_t channels = c(192);
    const std::pair<const char*, int64_t> mixed5[] = {
        {"Mixed_5b", 32}, {"Mixed_5c", 64}, {"Mixed_5d", 64}};
    for (const auto& [name, pool_features] : mixed5) {
      mixed5_.push_back(register_module(name, InceptionA(channels, pool_features, w)));
      channels = mixed5_.back()->out_channels;
      block_names_.push_back(name);
    }
    mixed6a_ = register_module("Mixed_6a", InceptionB(channels, w));
    channels = mixed6a_->out_channels;
    block_names_.push_back("Mixed_6a");
    const std::pair<const char*, int64_t> mixed6[] = {
        {"Mixed_6b", 128}, {"Mixed_6c", 160}, {"Mixed_6d", 160}, {"Mixed_6e", 192}};
    for (const auto& [name, channels_7x7] : mixed6) {
      mixed6_.push_back(register_module(name, InceptionC(channels, channels_7x7, w)));
      channels = mixed6_.back()->out_channels;
      block_names_.push_back(name);
    }

    feature_channels_ = c(1024);
    spg_a3_1b_ = register_module("SPG_A3_1b", HeadConv(channels, feature_channels_));
    spg_a3_2b_ = register_module("SPG_A3_2b", HeadConv(feature_channels_, feature_channels_));
    block_names_.push_back("SPG_A3_1b");
    block_names_.push_back("SPG_A3_2b");
    spg_a4_ = register_module(
        "SPG_A4", nn::Conv2d(nn::Conv2dOptions(feature_channels_, options.num_classes, 1)));

    // wsolevaluation's initialize_weights(init_mode='xavier').
    for (auto& module : modules(/*include_self=*/false)) {
      if (auto* conv = module->as<nn::Conv2d>()) {
        nn::init::xavier_uniform_(conv->weight);
        if (conv->bias.defined()) nn::init::zeros_(conv->bias);
      } else if (auto* bn = module->as<nn::BatchNorm2d>()) {
        nn::init::ones_(bn->weight);
        nn::init::zeros_(bn->bias);
      }
    }
  }

  BackboneOutput Forward(const torch::Tensor& images) override {
    BackboneOutput out;
    torch::Tensor x = conv2b_(conv2a_(conv1a_(images)));
    x = MaxPool3x3s2(x, /*padding=*/1);
    x = conv4a_(conv3b_(x));
    x = MaxPool3x3s2(x, /*padding=*/1);
    out.stages.push_back(x);
    size_t name = 0;
    for (auto& block : mixed5_) x = Hook(block_names_[name++], block(x));
    out.stages.push_back(x);
    if (!large_feature_map_) x = MaxPool3x3s2(x, /*padding=*/0);
    x = Hook(block_names_[name++], mixed6a_(x));
    for (auto& block : mixed6_) x = Hook(block_names_[name++], block(x));
    out.stages.push_back(x);
    x = HeadDropout(x);
    x = Hook(block_names_[name++], spg_a3_1b_->forward(x));
    x = HeadDropout(x);
    x = Hook(block_names_[name++], spg_a3_2b_->forward(x));
    out.stages.push_back(x);
    out.features = x;
    out.logits = Classify(x);
    return out;
  }

  // GAP + SPG_A4 as a linear layer (the 1x1 conv commutes with GAP); during training the
  // head's last dropout comes first, as in wsolevaluation.
  torch::Tensor Classify(const torch::Tensor& features) override {
    torch::Tensor pooled = HeadDropout(features).mean({2, 3});
    return torch::linear(pooled, ClassifierWeight(), spg_a4_->bias);
  }
  torch::Tensor ClassifierWeight() override { return spg_a4_->weight.flatten(1); }
  std::vector<torch::Tensor> NewLayerParameters() override { return Split().first; }
  std::vector<torch::Tensor> FeatureParameters() override { return Split().second; }
  std::vector<std::string> BlockNames() const override { return block_names_; }
  int64_t FeatureChannels() const override { return feature_channels_; }
  void SetHeadDropout(bool enabled) override { head_dropout_ = enabled; }
  bool head_dropout() const override { return head_dropout_; }

 private:
  torch::Tensor HeadDropout(const torch::Tensor& x) {
    return head_dropout_ ? torch::dropout(x, kHeadDropout, is_training()) : x;
  }

  static nn::Sequential HeadConv(int64_t in, int64_t out) {
    return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1)), nn::ReLU());
  }

  // wsolevaluation trains every parameter outside Conv2d_* and Mixed_* (the head) with
  // the classifier learning rate.
  std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> Split() {
    std::vector<torch::Tensor> fresh, features;
    SplitParametersByPrefix(*this, {"SPG_A3_1b.", "SPG_A3_2b.", "SPG_A4."}, &fresh, &features);
    return {fresh, features};
  }

  bool large_feature_map_;
  bool head_dropout_ = true;
  BasicConv2d conv1a_{nullptr}, conv2a_{nullptr}, conv2b_{nullptr}, conv3b_{nullptr},
      conv4a_{nullptr};
  std::vector<InceptionA> mixed5_;
  InceptionB mixed6a_{nullptr};
  std::vector<InceptionC> mixed6_;
  nn::Sequential spg_a3_1b_{nullptr}, spg_a3_2b_{nullptr};
  nn::Conv2d spg_a4_{nullptr};
  std::vector<std::string> block_names_;
  int64_t feature_channels_ = 0;
};

}  // namespace

std::shared_ptr<Backbone> MakeInceptionV3(const BackboneOptions& options) {
  return std::make_shared<InceptionV3>(options);
}

}  // namespace wsol::backbones
