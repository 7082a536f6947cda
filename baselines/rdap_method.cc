#include "baselines/rdap_method.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cmath>

namespace wsol::baselines {

int64_t RdapSquareSide(double mask_size, int64_t side) {
  return std::max<int64_t>(1, std::llround(mask_size * static_cast<double>(side)));
}

at::Tensor RdapDropMask(const at::Tensor& attention, double mask_size) {
  TORCH_CHECK_VALUE(attention.dim() == 4 && attention.size(1) == 1,
                    "attention must be [B, 1, h, w], got ", attention.sizes());
  const int64_t batch = attention.size(0), h = attention.size(2), w = attention.size(3);
  const at::Tensor peak = attention.reshape({batch, h * w}).argmax(1);  // [B]
  const at::Tensor py = at::floor_divide(peak, w), px = peak.remainder(w);
  const int64_t side_h = RdapSquareSide(mask_size, h), side_w = RdapSquareSide(mask_size, w);
  const at::Tensor top = (py - side_h / 2).unsqueeze(1), left = (px - side_w / 2).unsqueeze(1);
  const auto long_options = at::TensorOptions().dtype(at::kLong).device(attention.device());
  const at::Tensor rows = at::arange(h, long_options).unsqueeze(0);  // [1, h]
  const at::Tensor cols = at::arange(w, long_options).unsqueeze(0);
  const at::Tensor in_rows = (rows >= top) & (rows < top + side_h);       // [B, h]
  const at::Tensor in_cols = (cols >= left) & (cols < left + side_w);     // [B, w]
  const at::Tensor square = in_rows.unsqueeze(2) & in_cols.unsqueeze(1);  // [B, h, w]
  return at::logical_not(square).unsqueeze(1).to(attention.scalar_type());
}

RdapMethod::RdapMethod(double mask_size, double drop_rate)
    : AttentionDropMethod(drop_rate), mask_size_(mask_size) {
  TORCH_CHECK_VALUE(mask_size > 0.0 && mask_size <= 1.0, "RDAP mask_size must be in (0, 1], got ",
                    mask_size);
}

at::Tensor RdapMethod::Apply(const at::Tensor& x, bool drop) const {
  if (!drop) return x;
  return x * RdapDropMask(SelfAttention(x), mask_size_);
}

}  // namespace wsol::baselines
