#include "wsol/backbones/backbone.h"

#include <torch/nn/module.h>

#include <algorithm>
#include <cmath>

namespace wsol::backbones {

int64_t ScaledChannels(int64_t channels, double width_multiplier) {
  return std::max<int64_t>(1, std::llround(static_cast<double>(channels) * width_multiplier));
}

void SplitParametersByPrefix(const torch::nn::Module& module,
                             const std::vector<std::string>& new_layer_prefixes,
                             std::vector<torch::Tensor>* new_layers,
                             std::vector<torch::Tensor>* features) {
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    const bool is_new =
        std::any_of(new_layer_prefixes.begin(), new_layer_prefixes.end(),
                    [&](const std::string& prefix) { return item.key().rfind(prefix, 0) == 0; });
    (is_new ? new_layers : features)->push_back(item.value());
  }
}

}  // namespace wsol::backbones
