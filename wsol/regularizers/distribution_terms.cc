#include "wsol/regularizers/distribution_terms.h"

#include <ATen/ATen.h>

#include <cmath>

namespace wsol::regularizers {
namespace {

double LogNumClasses(const at::Tensor& log_p) {
  return std::log(static_cast<double>(log_p.size(1)));
}

}  // namespace

at::Tensor CrossEntropy(const at::Tensor& targets, const at::Tensor& log_p) {
  TORCH_CHECK_VALUE(targets.sizes() == log_p.sizes(), "targets ", targets.sizes(),
                    " and log-probabilities ", log_p.sizes(), " differ in shape");
  return -(targets * log_p).sum(1);
}

at::Tensor UniformCrossEntropy(const at::Tensor& log_p) { return -log_p.mean(1); }

at::Tensor Entropy(const at::Tensor& log_p) {
  // p log p is 0 where p underflows to 0 (log p finite), so no 0 * inf arises.
  return -(log_p.exp() * log_p).sum(1);
}

at::Tensor KlUniformToP(const at::Tensor& log_p) {
  return UniformCrossEntropy(log_p) - LogNumClasses(log_p);
}

at::Tensor KlPToUniform(const at::Tensor& log_p) { return LogNumClasses(log_p) - Entropy(log_p); }

at::Tensor JensenShannonToUniform(const at::Tensor& log_p) {
  const double log_c = LogNumClasses(log_p);
  const at::Tensor log_u = at::full_like(log_p, -log_c);
  const at::Tensor log_m = at::logaddexp(log_p, log_u) - std::log(2.0);
  const at::Tensor kl_p_m = (log_p.exp() * (log_p - log_m)).sum(1);
  const at::Tensor kl_u_m = (-log_c - log_m).mean(1);
  return 0.5 * kl_p_m + 0.5 * kl_u_m;
}

}  // namespace wsol::regularizers
