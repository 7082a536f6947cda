// backbone.h
//
// The interface every WSOL backbone implements: a CNN trunk producing the last conv
// feature map (the map CAM is read from) followed by global average pooling and a linear
// classifier, so that CAM_c = sum_k W[c, k] * features[k].
//
//   std::shared_ptr<wsol::backbones::Backbone> net =
//       wsol::backbones::CreateBackbone("resnet50", {.num_classes = 200});
//   wsol::backbones::BackboneOutput out = net->Forward(images);  // logits, features
//
// Methods such as ADL and RDAP act inside the trunk through a block hook: a function
// called on the output of every named block (BlockNames()), which may replace it.
// Modelling core: LibTorch and the standard library only.
#ifndef WSOL_BACKBONES_BACKBONE_H_
#define WSOL_BACKBONES_BACKBONE_H_

#include <torch/nn/module.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace wsol::backbones {

struct BackboneOptions {
  int64_t num_classes = 1000;
  // Multiplies every channel count (1.0 = the reference architecture).
  double width_multiplier = 1.0;
  // Also remove the stride of the second-to-last stage (wsolevaluation's
  // large_feature_map): the CAM doubles in resolution once more.
  bool large_feature_map = false;
};

struct BackboneOutput {
  torch::Tensor logits;    // [B, C]
  torch::Tensor features;  // [B, K, h, w]: the last conv feature map, CAM's input
  // Output of each conv stage in order (for feature-map figures and SPG's side branches).
  std::vector<torch::Tensor> stages;
};

// Called on the output of each hookable block; returns the tensor the trunk continues with.
using BlockHook = std::function<torch::Tensor(const std::string& block, const torch::Tensor& x)>;

class Backbone : public torch::nn::Module {
 public:
  virtual BackboneOutput Forward(const torch::Tensor& images) = 0;
  // Classifier head on a feature map: GAP then the linear layer. Forward uses it too.
  virtual torch::Tensor Classify(const torch::Tensor& features) = 0;
  // Classifier weight [C, K] (K = channels of `features`).
  virtual torch::Tensor ClassifierWeight() = 0;
  // Parameters of the new / late layers that train with the classifier learning-rate
  // multiplier (wsolevaluation: ResNet layer4 + fc, VGG conv6 + fc, Inception head).
  virtual std::vector<torch::Tensor> NewLayerParameters() = 0;
  // All other parameters (the ones a pretrained checkpoint provides).
  virtual std::vector<torch::Tensor> FeatureParameters() = 0;
  // Whether branches a method adds (ACoL's classifiers, SPG's heads) train at the new-layer
  // rate. wsolevaluation picks the 10x group by parameter name: for VGG16 and InceptionV3
  // everything outside the pretrained trunk, added heads included; for ResNet only names
  // under "layer4." and "fc.", so there the added heads train at the base rate.
  virtual bool MethodBranchesAreNewLayers() const { return true; }
  // The classifier's own parameters (the fc's weight and bias), for a method whose
  // wsolevaluation model replaces the classifier with a head of its own (SPG's SPG_A4):
  // on a backbone whose method branches train at the base rate, so does it. Only the
  // ResNets, whose branches do, name theirs; elsewhere the classifier stays a new layer.
  virtual std::vector<torch::Tensor> ClassifierParameters() { return {}; }
  // Dropout in the classifier head (InceptionV3's three, p = 0.5, in training).
  // wsolevaluation's ADL and ACoL variants of InceptionV3 have none, so those methods turn
  // it off when they attach. A no-op for backbones without head dropout.
  virtual void SetHeadDropout(bool enabled) { (void)enabled; }
  virtual bool head_dropout() const { return false; }
  // Names of the blocks the hook sees, in execution order (e.g. "layer3.5").
  virtual std::vector<std::string> BlockNames() const = 0;
  // Channels K of the feature map.
  virtual int64_t FeatureChannels() const = 0;

  void SetBlockHook(BlockHook hook) { hook_ = std::move(hook); }

 protected:
  torch::Tensor Hook(const std::string& block, const torch::Tensor& x) const {
    return hook_ ? hook_(block, x) : x;
  }

 private:
  BlockHook hook_;
};

// Scales a channel count by the width multiplier (at least 1 channel).
int64_t ScaledChannels(int64_t channels, double width_multiplier);

// Splits named parameters into (new-layer, feature) by name prefix.
void SplitParametersByPrefix(const torch::nn::Module& module,
                             const std::vector<std::string>& new_layer_prefixes,
                             std::vector<torch::Tensor>* new_layers,
                             std::vector<torch::Tensor>* features);

}  // namespace wsol::backbones

#endif  // WSOL_BACKBONES_BACKBONE_H_
