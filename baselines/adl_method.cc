#include "baselines/adl_method.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

namespace wsol::baselines {

at::Tensor AdlDropMask(const at::Tensor& attention, double gamma) {
  TORCH_CHECK_VALUE(attention.dim() == 4 && attention.size(1) == 1,
                    "attention must be [B, 1, h, w], got ", attention.sizes());
  const at::Tensor peak =
      std::get<0>(attention.reshape({attention.size(0), -1}).max(1)).reshape({-1, 1, 1, 1});
  return (attention < peak * gamma).to(attention.scalar_type());
}

at::Tensor AdlImportanceMap(const at::Tensor& attention) { return at::sigmoid(attention); }

AdlMethod::AdlMethod(double drop_rate, double gamma)
    : AttentionDropMethod(drop_rate), gamma_(gamma) {
  TORCH_CHECK_VALUE(gamma >= 0.0 && gamma <= 1.0, "ADL gamma must be in [0, 1], got ", gamma);
}

at::Tensor AdlMethod::Apply(const at::Tensor& x, bool drop) const {
  const at::Tensor attention = SelfAttention(x);
  return x * (drop ? AdlDropMask(attention, gamma_) : AdlImportanceMap(attention));
}

}  // namespace wsol::baselines
