#include "wsol/backbones/resnet.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

namespace wsol::backbones {
namespace {

namespace nn = torch::nn;

nn::Conv2d Conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding,
                bool bias = false) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(bias));
}

// Squeeze-and-excitation: channel gates from globally pooled features.
struct SqueezeExcitationImpl : nn::Module {
  SqueezeExcitationImpl(int64_t channels, int64_t reduction) {
    const int64_t hidden = std::max<int64_t>(1, channels / reduction);
    fc1 = register_module("fc1", Conv(channels, hidden, 1, 1, 0, /*bias=*/true));
    fc2 = register_module("fc2", Conv(hidden, channels, 1, 1, 0, /*bias=*/true));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor s = x.mean({2, 3}, /*keepdim=*/true);
    s = torch::sigmoid(fc2(torch::relu(fc1(s))));
    return x * s;
  }
  nn::Conv2d fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(SqueezeExcitation);

// torchvision's Bottleneck (stride on the 3x3 conv), optionally with SE before the sum.
struct BottleneckImpl : nn::Module {
  BottleneckImpl(int64_t in, int64_t planes, int64_t stride, bool squeeze_excitation) {
    const int64_t out = planes * 4;
    conv1 = register_module("conv1", Conv(in, planes, 1, 1, 0));
    bn1 = register_module("bn1", nn::BatchNorm2d(planes));
    conv2 = register_module("conv2", Conv(planes, planes, 3, stride, 1));
    bn2 = register_module("bn2", nn::BatchNorm2d(planes));
    conv3 = register_module("conv3", Conv(planes, out, 1, 1, 0));
    bn3 = register_module("bn3", nn::BatchNorm2d(out));
    if (squeeze_excitation) se = register_module("se", SqueezeExcitation(out, 16));
    if (stride != 1 || in != out) {
      downsample = register_module(
          "downsample", nn::Sequential(Conv(in, out, 1, stride, 0), nn::BatchNorm2d(out)));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(bn1(conv1(x)));
    y = torch::relu(bn2(conv2(y)));
    y = bn3(conv3(y));
    if (se) y = se(y);
    return torch::relu(y + (downsample ? downsample->forward(x) : x));
  }
  nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  SqueezeExcitation se{nullptr};
  nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

// Pre-activation BasicBlock: BN-ReLU-conv twice; a projection shortcut on the
// pre-activated input when the shape changes.
struct PreActBlockImpl : nn::Module {
  PreActBlockImpl(int64_t in, int64_t planes, int64_t stride) {
    bn1 = register_module("bn1", nn::BatchNorm2d(in));
    conv1 = register_module("conv1", Conv(in, planes, 3, stride, 1));
    bn2 = register_module("bn2", nn::BatchNorm2d(planes));
    conv2 = register_module("conv2", Conv(planes, planes, 3, 1, 1));
    if (stride != 1 || in != planes) {
      shortcut = register_module("shortcut", Conv(in, planes, 1, stride, 0));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor pre = torch::relu(bn1(x));
    torch::Tensor identity = shortcut ? shortcut(pre) : x;
    torch::Tensor y = conv1(pre);
    y = conv2(torch::relu(bn2(y)));
    return y + identity;
  }
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  nn::Conv2d conv1{nullptr}, conv2{nullptr}, shortcut{nullptr};
};
TORCH_MODULE(PreActBlock);

enum class BlockKind { kBottleneck, kSeBottleneck, kPreAct };

class ResNet : public Backbone {
 public:
  ResNet(BlockKind kind, std::vector<int> depths, const BackboneOptions& options) : kind_(kind) {
    const double w = options.width_multiplier;
    int64_t channels = ScaledChannels(64, w);
    conv1_ = register_module("conv1", Conv(3, channels, 7, 2, 3));
    // Every variant's stem is conv-BN-ReLU-maxpool; the pre-activation one too (as
    // fb.resnet.torch's and pytorchcv's ImageNet PreResNets, whose weights import).
    bn1_ = register_module("bn1", nn::BatchNorm2d(channels));
    const int64_t strides[4] = {1, 2, options.large_feature_map ? 1 : 2, 1};
    const int64_t planes[4] = {64, 128, 256, 512};
    for (int stage = 0; stage < 4; ++stage) {
      nn::Sequential layer;
      const int64_t p = ScaledChannels(planes[stage], w);
      for (int b = 0; b < depths[stage]; ++b) {
        const int64_t stride = b == 0 ? strides[stage] : 1;
        const std::string name = "layer" + std::to_string(stage + 1) + "." + std::to_string(b);
        block_names_.push_back(name);
        if (kind_ == BlockKind::kPreAct) {
          layer->push_back(PreActBlock(channels, p, stride));
          channels = p;
        } else {
          layer->push_back(Bottleneck(channels, p, stride, kind_ == BlockKind::kSeBottleneck));
          channels = p * 4;
        }
      }
      layers_.push_back(register_module("layer" + std::to_string(stage + 1), layer));
    }
    if (kind_ == BlockKind::kPreAct)
      bn_final_ = register_module("bn_final", nn::BatchNorm2d(channels));
    feature_channels_ = channels;
    fc_ = register_module("fc", nn::Linear(channels, options.num_classes));
    InitializeWeights();
  }

  BackboneOutput Forward(const torch::Tensor& images) override {
    BackboneOutput out;
    torch::Tensor x = torch::relu(bn1_(conv1_(images)));
    x = torch::max_pool2d(x, 3, 2, 1);
    out.stages.push_back(x);
    size_t name = 0;
    for (auto& layer : layers_) {
      for (auto& block : *layer) {
        x = block.forward(x);
        // The pre-activation trunk ends in BN-ReLU: the last block's hook (ADL, RDAP) acts
        // on what follows it, the features the classifier and the CAM read, as on the
        // other ResNets, not on the pre-activation stream.
        if (bn_final_ && name + 1 == block_names_.size()) x = torch::relu(bn_final_(x));
        x = Hook(block_names_[name++], x);
      }
      out.stages.push_back(x);
    }
    out.features = x;
    out.logits = Classify(x);
    return out;
  }

  torch::Tensor Classify(const torch::Tensor& features) override {
    return fc_(features.mean({2, 3}));
  }
  torch::Tensor ClassifierWeight() override { return fc_->weight; }
  std::vector<torch::Tensor> NewLayerParameters() override { return Split().first; }
  std::vector<torch::Tensor> FeatureParameters() override { return Split().second; }
  bool MethodBranchesAreNewLayers() const override { return false; }
  std::vector<torch::Tensor> ClassifierParameters() override { return {fc_->weight, fc_->bias}; }
  std::vector<std::string> BlockNames() const override { return block_names_; }
  int64_t FeatureChannels() const override { return feature_channels_; }

 private:
  std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> Split() {
    std::vector<torch::Tensor> fresh, features;
    SplitParametersByPrefix(*this, {"layer4.", "bn_final.", "fc."}, &fresh, &features);
    return {fresh, features};
  }

  void InitializeWeights() {
    for (auto& module : modules(/*include_self=*/false)) {
      if (auto* conv = module->as<nn::Conv2d>()) {
        nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
        if (conv->bias.defined()) nn::init::zeros_(conv->bias);
      } else if (auto* bn = module->as<nn::BatchNorm2d>()) {
        nn::init::ones_(bn->weight);
        nn::init::zeros_(bn->bias);
      }
    }
  }

  BlockKind kind_;
  nn::Conv2d conv1_{nullptr};
  nn::BatchNorm2d bn1_{nullptr}, bn_final_{nullptr};
  std::vector<nn::Sequential> layers_;
  nn::Linear fc_{nullptr};
  std::vector<std::string> block_names_;
  int64_t feature_channels_ = 0;
};

}  // namespace

std::shared_ptr<Backbone> MakeResNet50(const BackboneOptions& options) {
  return std::make_shared<ResNet>(BlockKind::kBottleneck, std::vector<int>{3, 4, 6, 3}, options);
}

std::shared_ptr<Backbone> MakeSeResNet50(const BackboneOptions& options) {
  return std::make_shared<ResNet>(BlockKind::kSeBottleneck, std::vector<int>{3, 4, 6, 3}, options);
}

std::shared_ptr<Backbone> MakePreResNet18(const BackboneOptions& options) {
  return std::make_shared<ResNet>(BlockKind::kPreAct, std::vector<int>{2, 2, 2, 2}, options);
}

}  // namespace wsol::backbones
