#include "wsol/regularizers/confidence_penalty.h"

#include <ATen/ATen.h>

#include "wsol/regularizers/distribution_terms.h"

namespace wsol::regularizers {

at::Tensor ConfidencePenalty::Term(const at::Tensor& log_p) const { return -Entropy(log_p); }

}  // namespace wsol::regularizers
