// rdap_method.h
//
// RDAP, Region-based Dropout with Attention Prior (Choe et al., Pattern Recognition 116,
// 2021). No public code exists; this is our reading of the paper. Like ADL it sits after
// the blocks of block_positions.h and reads the channel-mean self-attention map A of the
// block's output; instead of thresholding A it hides a fixed-size square region (a
// regional dropout in the style of Cutout / DropBlock) centred on the most discriminative
// location, argmax A per image:
//   side_h = max(1, round(mask_size * h)), side_w = max(1, round(mask_size * w)) (one side
//   for the square maps our backbones give); rows [py - side_h / 2, py - side_h / 2 +
//   side_h) and the same for columns (integer division: an odd side is centred exactly, an
//   even one has one more row / column before the peak than after it), clipped at the
//   borders; ties in argmax go to the first maximum in row-major order.
// In training, with probability drop_rate per position and step, the features are
// multiplied by that mask (zero in the square, one elsewhere); otherwise, and always in
// evaluation mode, the layer is the identity (RDAP has no importance-map branch in our
// reading).
//
//   auto rdap = std::make_shared<RdapMethod>(/*mask_size=*/0.3, /*drop_rate=*/0.5);
// Modelling core: LibTorch and the standard library only.
#ifndef BASELINES_RDAP_METHOD_H_
#define BASELINES_RDAP_METHOD_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "baselines/attention_drop.h"

namespace wsol::baselines {

// Side of the square on a map side of `side` pixels: max(1, round(mask_size * side)).
int64_t RdapSquareSide(double mask_size, int64_t side);

// The mask of attention maps [B, 1, h, w]: 0 on the square around each image's attention
// peak, 1 elsewhere; same shape and dtype.
at::Tensor RdapDropMask(const at::Tensor& attention, double mask_size);

class RdapMethod : public AttentionDropMethod {
 public:
  RdapMethod(double mask_size, double drop_rate);
  std::string Name() const override { return "rdap"; }
  // x * RdapDropMask(SelfAttention(x)) when drop, else x.
  at::Tensor Apply(const at::Tensor& x, bool drop) const override;

 private:
  double mask_size_;
};

}  // namespace wsol::baselines

#endif  // BASELINES_RDAP_METHOD_H_
