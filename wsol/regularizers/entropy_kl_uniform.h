// entropy_kl_uniform.h
//
// The paper's entropy regularization (ER): L = H(y, p) + lambda * KL(u || p).
// KL(u || p) = -log C - mean_c log p_c pushes p away from one-hot, keeping the entropy
// of the predictions in the sweet spot between uniform and one-hot. Its gradient on the
// logits is lambda (p - u) per image under the formula, C times that summed over the
// classes, and B times that summed over the batch.
#ifndef WSOL_REGULARIZERS_ENTROPY_KL_UNIFORM_H_
#define WSOL_REGULARIZERS_ENTROPY_KL_UNIFORM_H_

#include <string>

#include "wsol/regularizers/regularizer.h"

namespace wsol::regularizers {

// How lambda weighs KL(u || p) (wsol/proto/regularizer.proto says why there are three).
enum class KlUniformReduction {
  kFormula,         // mean over the batch of KL(u || p): the paper's formula
  kSumOverClasses,  // mean over the batch of C KL(u || p)
  kSumOverBatch,    // sum over the batch of KL(u || p)
};

struct EntropyKlUniformOptions {
  double lambda = 1e-4;
  KlUniformReduction reduction = KlUniformReduction::kFormula;
};

class EntropyKlUniform : public Regularizer {
 public:
  explicit EntropyKlUniform(const EntropyKlUniformOptions& options) : options_(options) {}
  std::string Name() const override { return "entropy_kl_uniform"; }
  // w (1 - 1/C) / (1 + w), w = lambda times 1, C or B by the reduction: where the
  // cross-entropy's pull p - y and ER's w (p - u) on the logits cancel.
  std::optional<double> FixedPointOffTargetMass(int64_t num_classes,
                                                int64_t batch_size) const override;

 protected:
  at::Tensor Term(const at::Tensor& log_p) const override;
  double weight() const override { return options_.lambda; }

 private:
  EntropyKlUniformOptions options_;
};

}  // namespace wsol::regularizers

#endif  // WSOL_REGULARIZERS_ENTROPY_KL_UNIFORM_H_
