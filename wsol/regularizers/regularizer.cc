#include "wsol/regularizers/regularizer.h"

#include <ATen/ATen.h>

#include "wsol/regularizers/distribution_terms.h"

namespace wsol::regularizers {

LossTerms Regularizer::Loss(const at::Tensor& logits, const at::Tensor& targets) const {
  const at::Tensor log_p = at::log_softmax(logits, 1);
  const at::Tensor cross_entropy = CrossEntropy(targets, log_p);
  const at::Tensor classification =
      (data_weight() == 1.0 ? cross_entropy : data_weight() * cross_entropy).mean();
  const at::Tensor term = Term(log_p);
  const at::Tensor regularization =
      term.defined() ? (weight() * term).mean() : at::zeros_like(classification);
  return {classification + regularization, classification, regularization};
}

}  // namespace wsol::regularizers
