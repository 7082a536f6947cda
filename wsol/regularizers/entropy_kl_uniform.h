// entropy_kl_uniform.h
//
// The paper's entropy regularization (ER): L = H(y, p) + lambda * KL(u || p).
// KL(u || p) = -log C - mean_c log p_c pushes p away from one-hot, keeping the entropy
// of the predictions in the sweet spot between uniform and one-hot.
#ifndef WSOL_REGULARIZERS_ENTROPY_KL_UNIFORM_H_
#define WSOL_REGULARIZERS_ENTROPY_KL_UNIFORM_H_

#include <string>

#include "wsol/regularizers/regularizer.h"

namespace wsol::regularizers {

struct EntropyKlUniformOptions {
  double lambda = 1e-4;
};

class EntropyKlUniform : public Regularizer {
 public:
  explicit EntropyKlUniform(const EntropyKlUniformOptions& options) : options_(options) {}
  std::string Name() const override { return "entropy_kl_uniform"; }

 protected:
  at::Tensor Term(const at::Tensor& log_p) const override;
  double weight() const override { return options_.lambda; }

 private:
  EntropyKlUniformOptions options_;
};

}  // namespace wsol::regularizers

#endif  // WSOL_REGULARIZERS_ENTROPY_KL_UNIFORM_H_
