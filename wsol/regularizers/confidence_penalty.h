// confidence_penalty.h
//
// Confidence penalty (Pereyra et al., ICLR 2017): L = H(y, p) - beta H(p)
// (= H(y, p) + beta KL(p || u) + const).
#ifndef WSOL_REGULARIZERS_CONFIDENCE_PENALTY_H_
#define WSOL_REGULARIZERS_CONFIDENCE_PENALTY_H_

#include <string>

#include "wsol/regularizers/regularizer.h"

namespace wsol::regularizers {

struct ConfidencePenaltyOptions {
  double beta = 0.1;
};

class ConfidencePenalty : public Regularizer {
 public:
  explicit ConfidencePenalty(const ConfidencePenaltyOptions& options) : options_(options) {}
  std::string Name() const override { return "confidence_penalty"; }

 protected:
  at::Tensor Term(const at::Tensor& log_p) const override;
  double weight() const override { return options_.beta; }

 private:
  ConfidencePenaltyOptions options_;
};

}  // namespace wsol::regularizers

#endif  // WSOL_REGULARIZERS_CONFIDENCE_PENALTY_H_
