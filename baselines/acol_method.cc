#include "baselines/acol_method.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/types.h>

#include "wsol/cam/cam.h"

namespace wsol::baselines {
namespace {

namespace nn = torch::nn;

// wsolevaluation's classifier_A / classifier_B.
struct AcolBranchImpl : nn::Module {
  AcolBranchImpl(int64_t in, int64_t hidden, int64_t classes) {
    layers = register_module(
        "layers",
        nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, hidden, 3).padding(1)), nn::ReLU(),
                       nn::Conv2d(nn::Conv2dOptions(hidden, hidden, 3).padding(1)), nn::ReLU(),
                       nn::Conv2d(nn::Conv2dOptions(hidden, classes, 1))));
    for (auto& module : modules(/*include_self=*/false)) {
      if (auto* conv = module->as<nn::Conv2d>()) {
        nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
        nn::init::zeros_(conv->bias);
      }
    }
  }
  torch::Tensor forward(const torch::Tensor& x) { return layers->forward(x); }
  nn::Sequential layers{nullptr};
};

AcolBranchImpl& Branch(const std::shared_ptr<nn::Module>& module) {
  TORCH_CHECK(module != nullptr, "ACoL: Attach() must be called before use");
  return static_cast<AcolBranchImpl&>(*module);
}

// maps [B, C, h, w] -> the map of class labels[b] for each b, [B, h, w].
torch::Tensor SelectClass(const torch::Tensor& maps, const torch::Tensor& labels) {
  const torch::Tensor index = labels.to(maps.device())
                                  .view({-1, 1, 1, 1})
                                  .expand({maps.size(0), 1, maps.size(2), maps.size(3)});
  return maps.gather(1, index).squeeze(1);
}

}  // namespace

at::Tensor AcolEraseMask(const at::Tensor& maps, const at::Tensor& labels, double threshold) {
  TORCH_CHECK_VALUE(maps.dim() == 4, "class maps must be [B, C, h, w], got ", maps.sizes());
  const torch::Tensor attention = cam::NormalizeMinMax(SelectClass(maps.detach(), labels));
  return (attention >= threshold).unsqueeze(1).to(maps.scalar_type());
}

AcolMethod::AcolMethod(double erasing_threshold, int64_t hidden_channels)
    : erasing_threshold_(erasing_threshold), hidden_channels_(hidden_channels) {
  TORCH_CHECK_VALUE(erasing_threshold >= 0.0 && erasing_threshold <= 1.0,
                    "ACoL erasing_threshold must be in [0, 1], got ", erasing_threshold);
  TORCH_CHECK_VALUE(hidden_channels > 0, "ACoL hidden_channels must be > 0, got ", hidden_channels);
}

void AcolMethod::Attach(backbones::Backbone& backbone, int64_t num_classes) {
  const int64_t k = backbone.FeatureChannels();
  // A second Attach (another backbone) replaces the branches.
  auto install = [&](const std::string& name, std::shared_ptr<nn::Module>& slot) {
    auto branch = std::make_shared<AcolBranchImpl>(k, hidden_channels_, num_classes);
    slot = slot ? replace_module(name, branch) : register_module(name, branch);
  };
  install("classifier_A", classifier_a_);
  install("classifier_B", classifier_b_);
  backbone.SetHeadDropout(false);  // wsolevaluation's InceptionAcol has no dropout.
}

AcolForward AcolMethod::Run(backbones::Backbone& backbone, const at::Tensor& images,
                            const at::Tensor& labels) {
  backbones::BackboneOutput out = backbone.Forward(images);
  AcolForward result;
  result.maps_a = Branch(classifier_a_).forward(out.features);
  result.logits_a = result.maps_a.mean({2, 3});
  result.erase_mask = AcolEraseMask(result.maps_a, labels, erasing_threshold_);
  result.erased_features = out.features * (1 - result.erase_mask);
  result.maps_b = Branch(classifier_b_).forward(result.erased_features);
  result.logits_b = result.maps_b.mean({2, 3});
  result.stages = std::move(out.stages);
  return result;
}

methods::StepOutput AcolMethod::TrainingStep(backbones::Backbone& backbone,
                                             const at::Tensor& images, const at::Tensor& targets,
                                             const regularizers::Regularizer& regularizer,
                                             std::mt19937_64& rng) {
  (void)rng;
  const AcolForward run = Run(backbone, images, targets.argmax(1));
  const regularizers::LossTerms a = regularizer.Loss(run.logits_a, targets);
  const regularizers::LossTerms b = regularizer.Loss(run.logits_b, targets);
  return {run.logits_a,
          {a.total + b.total, a.classification + b.classification,
           a.regularization + b.regularization}};
}

methods::Inference AcolMethod::Infer(backbones::Backbone& backbone, const at::Tensor& images,
                                     const at::Tensor& classes) {
  AcolForward run = Run(backbone, images, classes);
  methods::Inference inference;
  inference.logits = run.logits_a;
  inference.cams = torch::max(cam::NormalizeMinMax(SelectClass(run.maps_a.detach(), classes)),
                              cam::NormalizeMinMax(SelectClass(run.maps_b.detach(), classes)));
  inference.stages = std::move(run.stages);
  return inference;
}

}  // namespace wsol::baselines
