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

 protected:
  at::Tensor Term(const at::Tensor&) const override { return at::Tensor(); }
  double weight() const override { return 0.0; }
};

}  // namespace wsol::regularizers

#endif  // WSOL_REGULARIZERS_NO_REGULARIZER_H_
