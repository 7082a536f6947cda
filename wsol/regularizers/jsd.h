// jsd.h
//
// Jensen-Shannon divergence to uniform: L = H(y, p) + lambda * JSD(p, u),
// JSD(p, u) = KL(p || m)/2 + KL(u || m)/2, m = (p + u)/2.
#ifndef WSOL_REGULARIZERS_JSD_H_
#define WSOL_REGULARIZERS_JSD_H_

#include <string>

#include "wsol/regularizers/regularizer.h"

namespace wsol::regularizers {

struct JsdOptions {
  double lambda = 1e-4;
};

class Jsd : public Regularizer {
 public:
  explicit Jsd(const JsdOptions& options) : options_(options) {}
  std::string Name() const override { return "jsd"; }

 protected:
  at::Tensor Term(const at::Tensor& log_p) const override;
  double weight() const override { return options_.lambda; }

 private:
  JsdOptions options_;
};

}  // namespace wsol::regularizers

#endif  // WSOL_REGULARIZERS_JSD_H_
