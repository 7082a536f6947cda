#include "wsol/regularizers/confidence_penalty.h"

#include <ATen/ATen.h>

#include "wsol/regularizers/distribution_terms.h"

namespace wsol::regularizers {

LossTerms ConfidencePenalty::Loss(const at::Tensor& logits, const at::Tensor& targets) const {
  const at::Tensor log_p = at::log_softmax(logits, 1);
  const at::Tensor classification = (CrossEntropy(targets, log_p)).mean();
  const at::Tensor regularization = (-options_.beta * Entropy(log_p)).mean();
  return {classification + regularization, classification, regularization};
}

}  // namespace wsol::regularizers
