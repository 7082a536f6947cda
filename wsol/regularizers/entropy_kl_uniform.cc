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

std::optional<double> EntropyKlUniform::FixedPointOffTargetMass(int64_t num_classes,
                                                                int64_t batch_size) const {
  double w = options_.lambda;
  if (options_.reduction == KlUniformReduction::kSumOverClasses) w *= num_classes;
  if (options_.reduction == KlUniformReduction::kSumOverBatch) w *= batch_size;
  return w * (1.0 - 1.0 / static_cast<double>(num_classes)) / (1.0 + w);
}

}  // namespace wsol::regularizers
