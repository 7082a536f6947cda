#include "wsol/regularizers/regularizer.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <cmath>

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

double EntropyAtOffTargetMass(double off_target_mass, int64_t num_classes) {
  const double m = off_target_mass;
  const double others = static_cast<double>(num_classes - 1);
  auto plogp = [](double p) { return p > 0 ? p * std::log(p) : 0.0; };
  return -plogp(1.0 - m) - others * plogp(m / others);
}

double GradientRatio(const Regularizer& regularizer, const at::Tensor& logits,
                     const at::Tensor& targets) {
  const at::Tensor z = logits.detach().to(at::kDouble).requires_grad_(true);
  const LossTerms terms = regularizer.Loss(z, targets.detach().to(at::kDouble));
  if (!terms.regularization.requires_grad()) return 0.0;
  const at::Tensor classification =
      torch::autograd::grad({terms.classification}, {z}, {}, /*retain_graph=*/true)[0];
  const at::Tensor regularization = torch::autograd::grad({terms.regularization}, {z})[0];
  const double denominator = classification.norm().item<double>();
  return regularization.norm().item<double>() / std::max(denominator, 1e-300);
}

}  // namespace wsol::regularizers
