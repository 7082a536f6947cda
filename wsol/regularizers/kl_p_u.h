// kl_p_u.h
//
// Reverse-direction divergence: L = H(y, p) + lambda * KL(p || u).
#ifndef WSOL_REGULARIZERS_KL_P_U_H_
#define WSOL_REGULARIZERS_KL_P_U_H_

#include <string>

#include "wsol/regularizers/regularizer.h"

namespace wsol::regularizers {

struct KlPUOptions {
  double lambda = 1e-4;
};

class KlPU : public Regularizer {
 public:
  explicit KlPU(const KlPUOptions& options) : options_(options) {}
  std::string Name() const override { return "kl_p_u"; }

 protected:
  at::Tensor Term(const at::Tensor& log_p) const override;
  double weight() const override { return options_.lambda; }

 private:
  KlPUOptions options_;
};

}  // namespace wsol::regularizers

#endif  // WSOL_REGULARIZERS_KL_P_U_H_
