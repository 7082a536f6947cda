// adl_method.h
//
// ADL, the Attention-based Dropout Layer (Choe & Shim, CVPR 2019), as wsolevaluation's
// wsol/method/adl.py: parameter-free, after the blocks of block_positions.h. From the
// self-attention map A (channel mean) of the block's output x it builds
//   drop mask       M_drop = 1 where A < gamma * max(A) (per image), 0 elsewhere,
//   importance map  M_imp  = sigmoid(A),
// and in training multiplies x by M_drop with probability drop_rate, else by M_imp (one
// draw per position and step). Identity in evaluation mode.
//
//   auto adl = std::make_shared<AdlMethod>(/*drop_rate=*/0.75, /*gamma=*/0.9);
//   adl->Attach(*backbone, num_classes);
// Modelling core: LibTorch and the standard library only.
#ifndef BASELINES_ADL_METHOD_H_
#define BASELINES_ADL_METHOD_H_

#include <ATen/core/Tensor.h>

#include <string>

#include "baselines/attention_drop.h"

namespace wsol::baselines {

// Drop mask of attention maps [B, 1, h, w]: 0 where attention >= gamma * (that image's
// maximum), 1 elsewhere; same shape and dtype.
at::Tensor AdlDropMask(const at::Tensor& attention, double gamma);

// Importance map: sigmoid(attention).
at::Tensor AdlImportanceMap(const at::Tensor& attention);

class AdlMethod : public AttentionDropMethod {
 public:
  AdlMethod(double drop_rate, double gamma);
  std::string Name() const override { return "adl"; }
  // x * AdlDropMask(SelfAttention(x)) when drop, else x * AdlImportanceMap(...).
  at::Tensor Apply(const at::Tensor& x, bool drop) const override;

 private:
  double gamma_;
};

}  // namespace wsol::baselines

#endif  // BASELINES_ADL_METHOD_H_
