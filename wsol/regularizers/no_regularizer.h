// no_regularizer.h
//
// Plain cross-entropy: L = H(y, p).
#ifndef WSOL_REGULARIZERS_NO_REGULARIZER_H_
#define WSOL_REGULARIZERS_NO_REGULARIZER_H_

#include <string>

#include "wsol/regularizers/regularizer.h"

namespace wsol::regularizers {

class NoRegularizer : public Regularizer {
 public:
  std::string Name() const override { return "none"; }
  LossTerms Loss(const at::Tensor& logits, const at::Tensor& targets) const override;
};

}  // namespace wsol::regularizers

#endif  // WSOL_REGULARIZERS_NO_REGULARIZER_H_
