// label_smoothing.h
//
// Label smoothing (Szegedy et al., CVPR 2016): the target (1-gamma) y + gamma u,
// i.e. L = (1 - gamma) H(y, p) + gamma H(u, p) (= gamma KL(u || p) + const).
#ifndef WSOL_REGULARIZERS_LABEL_SMOOTHING_H_
#define WSOL_REGULARIZERS_LABEL_SMOOTHING_H_

#include <string>

#include "wsol/regularizers/regularizer.h"

namespace wsol::regularizers {

struct LabelSmoothingOptions {
  double gamma = 0.1;
};

class LabelSmoothing : public Regularizer {
 public:
  explicit LabelSmoothing(const LabelSmoothingOptions& options) : options_(options) {}
  std::string Name() const override { return "label_smoothing"; }
  // gamma (1 - 1/C): the optimum is the smoothed target itself.
  std::optional<double> FixedPointOffTargetMass(int64_t num_classes, int64_t) const override {
    return options_.gamma * (1.0 - 1.0 / static_cast<double>(num_classes));
  }

 protected:
  at::Tensor Term(const at::Tensor& log_p) const override;
  double weight() const override { return options_.gamma; }
  double data_weight() const override { return 1.0 - options_.gamma; }

 private:
  LabelSmoothingOptions options_;
};

}  // namespace wsol::regularizers

#endif  // WSOL_REGULARIZERS_LABEL_SMOOTHING_H_
