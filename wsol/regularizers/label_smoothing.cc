#include "wsol/regularizers/label_smoothing.h"

#include <ATen/ATen.h>

#include "wsol/regularizers/distribution_terms.h"

namespace wsol::regularizers {

LossTerms LabelSmoothing::Loss(const at::Tensor& logits, const at::Tensor& targets) const {
  const at::Tensor log_p = at::log_softmax(logits, 1);
  const at::Tensor classification = ((1.0 - options_.gamma) * CrossEntropy(targets, log_p)).mean();
  const at::Tensor regularization = (options_.gamma * UniformCrossEntropy(log_p)).mean();
  return {classification + regularization, classification, regularization};
}

}  // namespace wsol::regularizers
