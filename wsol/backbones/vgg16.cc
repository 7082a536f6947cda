#include "wsol/backbones/vgg16.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pooling.h>
#include <torch/types.h>

#include <string>
#include <vector>

namespace wsol::backbones {
namespace {

namespace nn = torch::nn;

// VGG16's conv configuration; 0 marks a 2x2 max pool. pool5 is gone (WSOL variant).
constexpr int kConfig[] = {64, 64,  0,   128, 128, 0,   256, 256, 256,
                           0,  512, 512, 512, 0,   512, 512, 512};

class Vgg16 : public Backbone {
 public:
  explicit Vgg16(const BackboneOptions& options) : pool4_(!options.large_feature_map) {
    const double w = options.width_multiplier;
    int64_t channels = 3;
    int pools = 0;
    int index = 0;  // torchvision's index inside `features` (convs, ReLUs and pools).
    nn::Sequential stage;
    for (int c : kConfig) {
      if (c == 0) {
        ++pools;
        const bool skip = options.large_feature_map && pools == 4;
        if (!skip) Add(stage, index, nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
        ++index;
        EndStage(stage);
        stage = nn::Sequential();
        continue;
      }
      const int64_t out = ScaledChannels(c, w);
      Add(stage, index, nn::Conv2d(nn::Conv2dOptions(channels, out, 3).padding(1)));
      Add(stage, index + 1, nn::ReLU());
      index += 2;
      channels = out;
    }
    EndStage(stage);
    // Stages are registered under one "features" parent so names match torchvision.
    features_ = register_module("features", features_);
    feature_channels_ = ScaledChannels(1024, w);
    conv6_ = register_module(
        "conv6", nn::Conv2d(nn::Conv2dOptions(channels, feature_channels_, 3).padding(1)));
    fc_ = register_module("fc", nn::Linear(feature_channels_, options.num_classes));
    for (auto& module : modules(/*include_self=*/false)) {
      if (auto* conv = module->as<nn::Conv2d>()) {
        nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
        nn::init::zeros_(conv->bias);
      } else if (auto* linear = module->as<nn::Linear>()) {
        nn::init::normal_(linear->weight, 0.0, 0.01);
        nn::init::zeros_(linear->bias);
      }
    }
  }

  BackboneOutput Forward(const torch::Tensor& images) override {
    BackboneOutput out;
    torch::Tensor x = images;
    for (size_t s = 0; s < stages_.size(); ++s) {
      const size_t layers = stages_[s]->size();
      size_t i = 0;
      for (auto& layer : *stages_[s]) {
        // conv4_3's output before pool4, where wsolevaluation's second ADL layer sits.
        if (s == 3 && pool4_ && ++i == layers) x = Hook(kConv43, x);
        x = layer.forward(x);
      }
      if (s == 3 && !pool4_) x = Hook(kConv43, x);  // No pool4: the end of conv4_x.
      x = Hook(block_names_[s], x);
      out.stages.push_back(x);
    }
    x = torch::relu(conv6_(x));
    x = Hook("conv6", x);
    out.stages.push_back(x);
    out.features = x;
    out.logits = Classify(x);
    return out;
  }

  torch::Tensor Classify(const torch::Tensor& features) override {
    return fc_(features.mean({2, 3}));
  }
  torch::Tensor ClassifierWeight() override { return fc_->weight; }
  std::vector<torch::Tensor> NewLayerParameters() override {
    std::vector<torch::Tensor> fresh, rest;
    SplitParametersByPrefix(*this, {"conv6.", "fc."}, &fresh, &rest);
    return fresh;
  }
  std::vector<torch::Tensor> FeatureParameters() override {
    std::vector<torch::Tensor> fresh, rest;
    SplitParametersByPrefix(*this, {"conv6.", "fc."}, &fresh, &rest);
    return rest;
  }
  std::vector<std::string> BlockNames() const override {
    std::vector<std::string> names = block_names_;
    names.insert(names.begin() + 3, kConv43);
    names.push_back("conv6");
    return names;
  }
  int64_t FeatureChannels() const override { return feature_channels_; }

 private:
  // Registers a layer under `features` with torchvision's flat index and appends it to
  // the current stage (an unregistered view used by the forward pass and the hooks).
  template <typename Layer>
  void Add(nn::Sequential& stage, int index, Layer layer) {
    features_->register_module(std::to_string(index), layer);
    stage->push_back(layer);
  }

  void EndStage(const nn::Sequential& stage) {
    if (stage->is_empty()) return;
    stages_.push_back(stage);
    block_names_.push_back("stage" + std::to_string(stages_.size()));
  }

  static constexpr char kConv43[] = "conv4_3";
  bool pool4_;
  std::shared_ptr<nn::Module> features_ = std::make_shared<nn::Module>();
  std::vector<nn::Sequential> stages_;
  std::vector<std::string> block_names_;
  nn::Conv2d conv6_{nullptr};
  nn::Linear fc_{nullptr};
  int64_t feature_channels_ = 0;
};

}  // namespace

std::shared_ptr<Backbone> MakeVgg16(const BackboneOptions& options) {
  return std::make_shared<Vgg16>(options);
}

}  // namespace wsol::backbones
