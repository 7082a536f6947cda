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

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>

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
  // Where one image's regularized loss is lowest when its logits are free: the probability
  // mass off the target class at that optimum, for `num_classes` classes and batches of
  // `batch_size`; nullopt where no closed form exists (and without a regularizer, whose
  // optimum is the one-hot 0).
  virtual std::optional<double> FixedPointOffTargetMass(int64_t num_classes,
                                                        int64_t batch_size) const {
    return std::nullopt;
  }

 protected:
  // The label-free term per sample, [B], from log p [B, C]; undefined for none.
  virtual at::Tensor Term(const at::Tensor& log_p) const = 0;
  // Its weight (lambda, gamma or beta) and the weight of the cross-entropy.
  virtual double weight() const = 0;
  virtual double data_weight() const { return 1.0; }
};

// The entropy (nats) of a distribution over `num_classes` classes with `off_target_mass`
// spread evenly over the classes other than the target: the entropy floor a regularizer's
// fixed point sets.
double EntropyAtOffTargetMass(double off_target_mass, int64_t num_classes);

// How strongly the regularizer pulls against the cross-entropy on a batch: the norm of
// its gradient on the logits over the cross-entropy's, by autograd on a float64 copy of
// `logits` [B, C] against `targets` [B, C]; 0 without a regularizer. Below a few percent
// the regularizer does not bind: the run is plain cross-entropy in all but name.
double GradientRatio(const Regularizer& regularizer, const at::Tensor& logits,
                     const at::Tensor& targets);

}  // namespace wsol::regularizers

#endif  // WSOL_REGULARIZERS_REGULARIZER_H_
