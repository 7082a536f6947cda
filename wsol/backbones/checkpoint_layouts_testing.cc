#include "wsol/backbones/checkpoint_layouts_testing.h"

#include <torch/types.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace wsol::backbones::testing {
namespace {

class LayoutBuilder {
 public:
  // Weights at the scale a trained network has them (He's for convolutions, 0.01 for
  // the classifier), so the dicts also serve as stand-in "pretrained" weights.
  void Tensor(const std::string& name, std::vector<int64_t> shape) {
    double scale = 0.01;
    if (shape.size() == 4)
      scale = std::sqrt(2.0 / static_cast<double>(shape[0] * shape[2] * shape[3]));
    state_.emplace_back(name, torch::randn(shape) * scale);
  }
  // BatchNorm2d's tensors; `counter` adds num_batches_tracked.
  void Bn(const std::string& prefix, int64_t channels, bool counter) {
    state_.emplace_back(prefix + ".weight", 1 + 0.1 * torch::randn({channels}));
    state_.emplace_back(prefix + ".bias", 0.1 * torch::randn({channels}));
    state_.emplace_back(prefix + ".running_mean", 0.1 * torch::randn({channels}));
    state_.emplace_back(prefix + ".running_var", torch::rand({channels}) + 0.5);
    if (counter) state_.emplace_back(prefix + ".num_batches_tracked", torch::tensor(int64_t{7}));
  }
  StateDict& state() { return state_; }

 private:
  StateDict state_;
};

}  // namespace

StateDict PytorchcvPreResNet18() {
  torch::manual_seed(11);
  LayoutBuilder b;  // pytorchcv's files are read without num_batches_tracked here.
  b.Tensor("features.init_block.conv.weight", {64, 3, 7, 7});
  b.Bn("features.init_block.bn", 64, false);
  const int64_t channels[4] = {64, 128, 256, 512};
  int64_t in = 64;
  for (int s = 1; s <= 4; ++s) {
    for (int u = 1; u <= 2; ++u) {
      const int64_t out = channels[s - 1];
      const std::string unit = "features.stage" + std::to_string(s) + ".unit" + std::to_string(u);
      b.Bn(unit + ".body.conv1.bn", in, false);  // BN-ReLU before conv1: input channels
      b.Tensor(unit + ".body.conv1.conv.weight", {out, in, 3, 3});
      b.Bn(unit + ".body.conv2.bn", out, false);
      b.Tensor(unit + ".body.conv2.conv.weight", {out, out, 3, 3});
      if (in != out) b.Tensor(unit + ".identity_conv.weight", {out, in, 1, 1});
      in = out;
    }
  }
  b.Bn("features.post_activ.bn", 512, false);
  b.Tensor("output.weight", {1000, 512});
  b.Tensor("output.bias", {1000});
  return b.state();
}

// `legacy`: Cadene's names (layer0.conv1, se_module, last_linear) instead of timm's.
StateDict TimmSeResNet50(bool legacy) {
  torch::manual_seed(12);
  LayoutBuilder b;
  b.Tensor(legacy ? "layer0.conv1.weight" : "conv1.weight", {64, 3, 7, 7});
  b.Bn(legacy ? "layer0.bn1" : "bn1", 64, true);
  const int depths[4] = {3, 4, 6, 3};
  int64_t in = 64;
  for (int layer = 1; layer <= 4; ++layer) {
    const int64_t planes = 64 << (layer - 1), out = planes * 4, reduced = out / 16;
    for (int i = 0; i < depths[layer - 1]; ++i) {
      const std::string block = "layer" + std::to_string(layer) + "." + std::to_string(i);
      b.Tensor(block + ".conv1.weight", {planes, in, 1, 1});
      b.Bn(block + ".bn1", planes, true);
      b.Tensor(block + ".conv2.weight", {planes, planes, 3, 3});
      b.Bn(block + ".bn2", planes, true);
      b.Tensor(block + ".conv3.weight", {out, planes, 1, 1});
      b.Bn(block + ".bn3", out, true);
      const std::string se = block + (legacy ? ".se_module" : ".se");
      b.Tensor(se + ".fc1.weight", {reduced, out, 1, 1});
      b.Tensor(se + ".fc1.bias", {reduced});
      b.Tensor(se + ".fc2.weight", {out, reduced, 1, 1});
      b.Tensor(se + ".fc2.bias", {out});
      if (i == 0) {
        b.Tensor(block + ".downsample.0.weight", {out, in, 1, 1});
        b.Bn(block + ".downsample.1", out, true);
      }
      in = out;
    }
  }
  b.Tensor(legacy ? "last_linear.weight" : "fc.weight", {1000, 2048});
  b.Tensor(legacy ? "last_linear.bias" : "fc.bias", {1000});
  return b.state();
}

}  // namespace wsol::backbones::testing
