#include "wsol/regularizers/symmetric_kl.h"

#include <ATen/ATen.h>

#include "wsol/regularizers/distribution_terms.h"

namespace wsol::regularizers {

at::Tensor SymmetricKl::Term(const at::Tensor& log_p) const {
  return KlPToUniform(log_p) + KlUniformToP(log_p);
}

}  // namespace wsol::regularizers
