#include "wsol/regularizers/label_smoothing.h"

#include <ATen/ATen.h>

#include "wsol/regularizers/distribution_terms.h"

namespace wsol::regularizers {

at::Tensor LabelSmoothing::Term(const at::Tensor& log_p) const {
  return UniformCrossEntropy(log_p);
}

}  // namespace wsol::regularizers
