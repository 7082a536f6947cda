// symmetric_kl.h
//
// Symmetric KL: L = H(y, p) + lambda * (KL(p || u) + KL(u || p)).
// (Some notes call this sum "JSD"; the Jensen-Shannon divergence is jsd.h.)
#ifndef WSOL_REGULARIZERS_SYMMETRIC_KL_H_
#define WSOL_REGULARIZERS_SYMMETRIC_KL_H_

#include <string>

#include "wsol/regularizers/regularizer.h"

namespace wsol::regularizers {

struct SymmetricKlOptions {
  double lambda = 1e-4;
};

class SymmetricKl : public Regularizer {
 public:
  explicit SymmetricKl(const SymmetricKlOptions& options) : options_(options) {}
  std::string Name() const override { return "symmetric_kl"; }

 protected:
  at::Tensor Term(const at::Tensor& log_p) const override;
  double weight() const override { return options_.lambda; }

 private:
  SymmetricKlOptions options_;
};

}  // namespace wsol::regularizers

#endif  // WSOL_REGULARIZERS_SYMMETRIC_KL_H_
