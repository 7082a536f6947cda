#include "baselines/spg_method.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/types.h>

#include <cmath>

#include "baselines/block_positions.h"
#include "wsol/cam/cam.h"

namespace wsol::baselines {
namespace {

namespace nn = torch::nn;

nn::Conv2d Conv(int64_t in, int64_t out, int64_t kernel) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).padding(kernel / 2));
}

void XavierInit(nn::Module& module) {
  for (auto& m : module.modules(/*include_self=*/false)) {
    if (auto* conv = m->as<nn::Conv2d>()) {
      nn::init::xavier_uniform_(conv->weight);
      nn::init::zeros_(conv->bias);
    }
  }
}

std::shared_ptr<nn::SequentialImpl> MakeHead(nn::Sequential head) {
  XavierInit(*head);
  return head.ptr();
}

torch::Tensor Forward(const std::shared_ptr<nn::Module>& module, const torch::Tensor& x) {
  TORCH_CHECK(module != nullptr, "SPG: Attach() must be called before use");
  return dynamic_cast<nn::SequentialImpl&>(*module).forward(x);
}

// [B, 1, h, w] or [B, h, w] -> [B, H, W], bilinear, align_corners = false (nn.Upsample).
torch::Tensor Upsample(const torch::Tensor& maps, int64_t height, int64_t width) {
  const torch::Tensor x = maps.dim() == 3 ? maps.unsqueeze(1) : maps;
  return at::upsample_bilinear2d(x, {height, width}, /*align_corners=*/false).squeeze(1);
}

}  // namespace

at::Tensor SpgSeeds(const at::Tensor& maps, double high, double low, int64_t min_foreground) {
  TORCH_CHECK_VALUE(maps.dim() == 3, "maps must be [B, H, W], got ", maps.sizes());
  const torch::Tensor m = maps.detach();
  torch::Tensor foreground = m > high;
  const torch::Tensor count = foreground.flatten(1).sum(1).view({-1, 1, 1});
  const torch::Tensor peak = std::get<0>(m.flatten(1).max(1)).view({-1, 1, 1});
  foreground = torch::where(count<min_foreground, m> peak * 0.7, foreground);
  torch::Tensor seeds = torch::full_like(m, -1.0);
  seeds.masked_fill_(foreground, 1.0);
  seeds.masked_fill_(m < low, 0.0);
  return seeds;
}

int64_t SpgMinForeground(int64_t height, int64_t width) {
  return static_cast<int64_t>(
      std::ceil(30.0 * static_cast<double>(height * width) / (224.0 * 224.0)));
}

at::Tensor SeededBinaryCrossEntropy(const at::Tensor& logits, const at::Tensor& seeds) {
  const torch::Tensor valid = seeds >= 0;
  if (valid.sum().item<int64_t>() == 0) return logits.sum() * 0.0;
  return torch::binary_cross_entropy_with_logits(logits.masked_select(valid),
                                                 seeds.masked_select(valid));
}

SpgMethod::SpgMethod(const Options& options) : options_(options) {
  for (const auto& [high, low] : options.thresholds) {
    TORCH_CHECK_VALUE(high >= 0.0 && high <= 1.0 && low >= 0.0 && low < high,
                      "SPG thresholds need 0 <= delta_l < delta_h <= 1, got delta_h = ", high,
                      ", delta_l = ", low);
  }
  TORCH_CHECK_VALUE(options.branch_channels > 0, "SPG branch_channels must be > 0, got ",
                    options.branch_channels);
  TORCH_CHECK_VALUE(options.head_channels > 0, "SPG head_channels must be > 0, got ",
                    options.head_channels);
}

void SpgMethod::Attach(backbones::Backbone& backbone, int64_t num_classes) {
  (void)num_classes;
  const std::vector<std::string> names = backbone.BlockNames();
  side_blocks_ = SpgSideBlocks(names);
  TORCH_CHECK_VALUE(side_blocks_.size() == 2,
                    "spg: no known side-branch positions for a backbone with blocks ",
                    JoinNames(names));
  backbone.SetBlockHook([this](const std::string& block, const at::Tensor& x) {
    if (capturing_ && captured_.count(block) == 0 &&
        (block == side_blocks_[0] || block == side_blocks_[1])) {
      captured_[block] = x;
    }
    return x;
  });

  // Probe the side features' channel counts.
  std::array<int64_t, 2> channels{};
  {
    torch::NoGradGuard no_grad;
    const bool was_training = backbone.is_training();
    backbone.eval();
    // The probe takes the device and type of the backbone's weights.
    torch::TensorOptions options;
    for (const auto& p : backbone.parameters()) {
      options = p.options().requires_grad(false);
      break;
    }
    capturing_ = true;
    captured_.clear();
    backbone.Forward(torch::zeros({1, 3, 64, 64}, options));
    capturing_ = false;
    backbone.train(was_training);
    for (int i = 0; i < 2; ++i) {
      TORCH_CHECK(captured_.count(side_blocks_[i]) == 1, "spg: block ", side_blocks_[i],
                  " produced no output");
      channels[i] = captured_[side_blocks_[i]].size(1);
    }
    captured_.clear();
  }

  const int64_t branch = options_.branch_channels, head = options_.head_channels;
  auto install = [&](const std::string& name, std::shared_ptr<nn::Module>& slot,
                     nn::Sequential module) {
    std::shared_ptr<nn::Module> made = MakeHead(std::move(module));
    slot = slot ? replace_module(name, made) : register_module(name, made);
  };
  install("SPG_B_1a", b1a_, nn::Sequential(Conv(channels[0], branch, 3), nn::ReLU()));
  install("SPG_B_2a", b2a_, nn::Sequential(Conv(channels[1], branch, 3), nn::ReLU()));
  install("SPG_B_shared", b_shared_,
          nn::Sequential(Conv(branch, branch, 3), nn::ReLU(), Conv(branch, 1, 1)));
  install("SPG_C", head_c_,
          nn::Sequential(Conv(backbone.FeatureChannels(), head, 3), nn::ReLU(), Conv(head, 1, 1)));
}

SpgForward SpgMethod::Run(backbones::Backbone& backbone, const at::Tensor& images,
                          const at::Tensor& labels) {
  TORCH_CHECK(side_blocks_.size() == 2, "SPG: Attach() must be called before use");
  captured_.clear();
  capturing_ = true;
  backbones::BackboneOutput out;
  try {
    out = backbone.Forward(images);
  } catch (...) {
    capturing_ = false;
    captured_.clear();
    throw;
  }
  capturing_ = false;
  const torch::Tensor side1 = captured_.at(side_blocks_[0]);
  const torch::Tensor side2 = captured_.at(side_blocks_[1]);
  captured_.clear();

  const int64_t height = images.size(2), width = images.size(3);
  SpgForward run;
  run.logits = out.logits;
  const torch::Tensor cams =
      cam::ClassActivationMaps(out.features.detach(), backbone.ClassifierWeight().detach(), labels);
  run.attention = cam::NormalizeMinMax(Upsample(cams, height, width));
  run.b1 = Upsample(Forward(b_shared_, Forward(b1a_, side1)), height, width);
  run.b2 = Upsample(Forward(b_shared_, Forward(b2a_, side2)), height, width);
  run.c = Upsample(Forward(head_c_, out.features), height, width);

  const int64_t min_fg = SpgMinForeground(height, width);
  const auto& t = options_.thresholds;
  const torch::Tensor b2_probability = torch::sigmoid(run.b2.detach());
  const torch::Tensor fused = (torch::sigmoid(run.b1.detach()) + b2_probability) / 2;
  run.seeds_b2 = SpgSeeds(run.attention, t[0][0], t[0][1], min_fg);
  run.seeds_b1 = SpgSeeds(b2_probability, t[1][0], t[1][1], min_fg);
  run.seeds_c = SpgSeeds(fused, t[2][0], t[2][1], min_fg);
  return run;
}

methods::StepOutput SpgMethod::TrainingStep(backbones::Backbone& backbone, const at::Tensor& images,
                                            const at::Tensor& targets,
                                            const regularizers::Regularizer& regularizer,
                                            std::mt19937_64& rng) {
  (void)rng;
  const SpgForward run = Run(backbone, images, targets.argmax(1));
  regularizers::LossTerms loss = regularizer.Loss(run.logits, targets);
  const torch::Tensor guidance = SeededBinaryCrossEntropy(run.b2, run.seeds_b2) +
                                 SeededBinaryCrossEntropy(run.b1, run.seeds_b1) +
                                 SeededBinaryCrossEntropy(run.c, run.seeds_c);
  loss.total = loss.total + guidance;
  return {run.logits, loss};
}

}  // namespace wsol::baselines
