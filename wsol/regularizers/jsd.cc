#include "wsol/regularizers/jsd.h"

#include <ATen/ATen.h>

#include "wsol/regularizers/distribution_terms.h"

namespace wsol::regularizers {

at::Tensor Jsd::Term(const at::Tensor& log_p) const { return JensenShannonToUniform(log_p); }

}  // namespace wsol::regularizers
