// attention_drop.h
//
// The machinery ADL and RDAP share: a parameter-free layer applied, in training mode
// only, to the output of the blocks AttentionDropBlocks() names for the backbone (see
// block_positions.h), driven by the channel-mean self-attention map. Each training step
// draws, for every position independently, whether the layer drops (probability
// drop_rate) or does its other thing; in evaluation mode every position is the identity.
//
//   class MyDrop : public AttentionDropMethod { ... Apply(x, drop) ... };
// Modelling core: LibTorch and the standard library only.
#ifndef BASELINES_ATTENTION_DROP_H_
#define BASELINES_ATTENTION_DROP_H_

#include <ATen/core/Tensor.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "wsol/methods/method.h"

namespace wsol::baselines {

// Self-attention map of feature maps x [B, K, h, w]: the mean over channels, [B, 1, h, w].
at::Tensor SelfAttention(const at::Tensor& x);

class AttentionDropMethod : public methods::Method {
 public:
  explicit AttentionDropMethod(double drop_rate);

  // Installs the block hook at AttentionDropBlocks(backbone.BlockNames()); throws
  // c10::ValueError for a backbone whose block names it does not recognise. The method
  // must outlive the backbone's use of the hook (WsolModel holds both).
  void Attach(backbones::Backbone& backbone, int64_t num_classes) override;

  // Draws each position's drop decision from `rng` (one uniform u per position, in
  // position order; drop when u < drop_rate), then the plain classifier's loss.
  methods::StepOutput TrainingStep(backbones::Backbone& backbone, const at::Tensor& images,
                                   const at::Tensor& targets,
                                   const regularizers::Regularizer& regularizer,
                                   std::mt19937_64& rng) override;

  // The hooked block names, in execution order (after Attach).
  const std::vector<std::string>& positions() const { return positions_; }

  // What the layer does at a position in training mode; public so tests can drive it.
  virtual at::Tensor Apply(const at::Tensor& x, bool drop) const = 0;

 private:
  at::Tensor OnBlock(const std::string& block, const at::Tensor& x);

  double drop_rate_;
  std::vector<std::string> positions_;
  std::map<std::string, bool> pending_;  // this TrainingStep's decisions
  // Decisions for training-mode forwards made outside TrainingStep (fixed seed).
  std::mt19937_64 fallback_rng_{0};
};

}  // namespace wsol::baselines

#endif  // BASELINES_ATTENTION_DROP_H_
