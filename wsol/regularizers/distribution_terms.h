// distribution_terms.h
//
// Per-sample terms between the predicted distribution p (given as log p, [B, C]), the
// uniform distribution u over the C classes and target distributions t. Each returns a
// [B] tensor; regularizers average over the batch.
#ifndef WSOL_REGULARIZERS_DISTRIBUTION_TERMS_H_
#define WSOL_REGULARIZERS_DISTRIBUTION_TERMS_H_

#include <ATen/core/Tensor.h>

namespace wsol::regularizers {

// H(t, p) = -sum_c t_c log p_c.
at::Tensor CrossEntropy(const at::Tensor& targets, const at::Tensor& log_p);
// H(u, p) = -(1/C) sum_c log p_c.
at::Tensor UniformCrossEntropy(const at::Tensor& log_p);
// H(p) = -sum_c p_c log p_c.
at::Tensor Entropy(const at::Tensor& log_p);
// KL(u || p) = -log C - (1/C) sum_c log p_c.
at::Tensor KlUniformToP(const at::Tensor& log_p);
// KL(p || u) = sum_c p_c log p_c + log C.
at::Tensor KlPToUniform(const at::Tensor& log_p);
// JSD(p, u) = KL(p || m)/2 + KL(u || m)/2 with m = (p + u)/2, log m from logaddexp.
at::Tensor JensenShannonToUniform(const at::Tensor& log_p);

}  // namespace wsol::regularizers

#endif  // WSOL_REGULARIZERS_DISTRIBUTION_TERMS_H_
