// regularizer.h
//
// The loss of a WSOL classifier: a data term on the (possibly mixed) targets plus a
// label-free term on the predicted distribution p = softmax(logits). Implementations:
// none, entropy_kl_uniform (the paper's ER), label_smoothing, confidence_penalty,
// kl_p_u, symmetric_kl, jsd. Every term is computed from log_softmax, so it stays finite
// for any finite logits.
//
//   std::unique_ptr<Regularizer> er = CreateRegularizer("entropy_kl_uniform", 1e-4);
//   LossTerms terms = er->Loss(logits, OneHot(labels, num_classes));
//   terms.total.backward();
// Modelling core: LibTorch and the standard library only.
#ifndef WSOL_REGULARIZERS_REGULARIZER_H_
#define WSOL_REGULARIZERS_REGULARIZER_H_

#include <string>

#include <ATen/core/Tensor.h>

namespace wsol::regularizers {

struct LossTerms {
  at::Tensor total;           // Scalar to minimize: classification + regularization.
  at::Tensor classification;  // Scalar data term (cross-entropy, smoothed for LS).
  at::Tensor regularization;  // Scalar label-free term, already weighted.
};

class Regularizer {
 public:
  virtual ~Regularizer() = default;
  // The name used in specs and tables ("entropy_kl_uniform", ...).
  virtual std::string Name() const = 0;
  // Batch-mean loss of logits [B, C] against target distributions [B, C] (one-hot rows,
  // or CutMix's area-weighted mixtures).
  virtual LossTerms Loss(const at::Tensor& logits, const at::Tensor& targets) const = 0;
};

}  // namespace wsol::regularizers

#endif  // WSOL_REGULARIZERS_REGULARIZER_H_
