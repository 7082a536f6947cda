#include "baselines/attention_drop.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <algorithm>

#include "baselines/block_positions.h"

namespace wsol::baselines {

at::Tensor SelfAttention(const at::Tensor& x) {
  TORCH_CHECK_VALUE(x.dim() == 4, "feature maps must be [B, K, h, w], got ", x.sizes());
  return x.mean(1, /*keepdim=*/true);
}

AttentionDropMethod::AttentionDropMethod(double drop_rate) : drop_rate_(drop_rate) {
  TORCH_CHECK_VALUE(drop_rate >= 0.0 && drop_rate <= 1.0, "drop_rate must be in [0, 1], got ",
                    drop_rate);
}

void AttentionDropMethod::Attach(backbones::Backbone& backbone, int64_t num_classes) {
  (void)num_classes;
  const std::vector<std::string> names = backbone.BlockNames();
  positions_ = AttentionDropBlocks(names);
  TORCH_CHECK_VALUE(!positions_.empty(), Name(),
                    ": no known layer positions for a backbone with blocks ", JoinNames(names));
  backbone.SetBlockHook(
      [this](const std::string& block, const at::Tensor& x) { return OnBlock(block, x); });
  // wsolevaluation's ADL models have no head dropout (InceptionAdl); RDAP, ADL's sibling
  // with no public code, follows it.
  backbone.SetHeadDropout(false);
}

methods::StepOutput AttentionDropMethod::TrainingStep(backbones::Backbone& backbone,
                                                      const at::Tensor& images,
                                                      const at::Tensor& targets,
                                                      const regularizers::Regularizer& regularizer,
                                                      std::mt19937_64& rng) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  pending_.clear();
  for (const std::string& position : positions_) pending_[position] = uniform(rng) < drop_rate_;
  struct Clear {
    std::map<std::string, bool>& pending;
    ~Clear() { pending.clear(); }
  } clear{pending_};
  return methods::Method::TrainingStep(backbone, images, targets, regularizer, rng);
}

at::Tensor AttentionDropMethod::OnBlock(const std::string& block, const at::Tensor& x) {
  if (!is_training()) return x;
  if (std::find(positions_.begin(), positions_.end(), block) == positions_.end()) return x;
  bool drop;
  auto it = pending_.find(block);
  if (it != pending_.end()) {
    drop = it->second;
  } else {
    drop = std::uniform_real_distribution<double>(0.0, 1.0)(fallback_rng_) < drop_rate_;
  }
  return Apply(x, drop);
}

}  // namespace wsol::baselines
