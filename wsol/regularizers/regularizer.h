// regularizer.h
//
// The loss of a WSOL classifier: a data term on the (possibly mixed) targets plus a
// label-free term on the predicted distribution p = softmax(logits), one Loss for all:
//   Loss = mean_b[data_weight * H(targets_b, p_b)] + mean_b[weight * Term(log p_b)].
// A regularizer is its Term and its weight (and, for label smoothing, its data weight).
// Implementations: none, entropy_kl_uniform (the paper's ER), label_smoothing,
// confidence_penalty, kl_p_u, symmetric_kl, jsd, built from the spec by the table in
// regularizer_builder.h. Every term is computed from log_softmax, so it stays finite for
// any finite logits.
//
//   EntropyKlUniform er({.lambda = 1e-4});
//   LossTerms terms = er.Loss(logits, OneHot(labels, num_classes));
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
  LossTerms Loss(const at::Tensor& logits, const at::Tensor& targets) const;

 protected:
  // The label-free term per sample, [B], from log p [B, C]; undefined for none.
  virtual at::Tensor Term(const at::Tensor& log_p) const = 0;
  // Its weight (lambda, gamma or beta) and the weight of the cross-entropy.
  virtual double weight() const = 0;
  virtual double data_weight() const { return 1.0; }
};

}  // namespace wsol::regularizers

#endif  // WSOL_REGULARIZERS_REGULARIZER_H_
