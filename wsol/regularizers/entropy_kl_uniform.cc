#include "wsol/regularizers/entropy_kl_uniform.h"

#include <ATen/ATen.h>

#include "wsol/regularizers/distribution_terms.h"

namespace wsol::regularizers {

at::Tensor EntropyKlUniform::Term(const at::Tensor& log_p) const {
  // Regularizer::Loss averages the per-image term over the batch.
  const at::Tensor kl = KlUniformToP(log_p);
  switch (options_.reduction) {
    case KlUniformReduction::kFormula:
      return kl;
    case KlUniformReduction::kSumOverClasses:
      return kl * static_cast<double>(log_p.size(1));
    case KlUniformReduction::kSumOverBatch:
      return kl * static_cast<double>(log_p.size(0));
  }
  return kl;
}

}  // namespace wsol::regularizers
