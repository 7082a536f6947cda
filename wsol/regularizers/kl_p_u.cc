#include "wsol/regularizers/kl_p_u.h"

#include <ATen/ATen.h>

#include "wsol/regularizers/distribution_terms.h"

namespace wsol::regularizers {

at::Tensor KlPU::Term(const at::Tensor& log_p) const { return KlPToUniform(log_p); }

}  // namespace wsol::regularizers
