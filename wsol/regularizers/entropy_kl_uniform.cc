#include "wsol/regularizers/entropy_kl_uniform.h"

#include <ATen/ATen.h>

#include "wsol/regularizers/distribution_terms.h"

namespace wsol::regularizers {

at::Tensor EntropyKlUniform::Term(const at::Tensor& log_p) const {
  return KlUniformToP(log_p);
}

}  // namespace wsol::regularizers
