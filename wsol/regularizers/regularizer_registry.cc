#include "wsol/regularizers/regularizer_registry.h"

#include <c10/util/Exception.h>

#include "wsol/regularizers/confidence_penalty.h"
#include "wsol/regularizers/entropy_kl_uniform.h"
#include "wsol/regularizers/jsd.h"
#include "wsol/regularizers/kl_p_u.h"
#include "wsol/regularizers/label_smoothing.h"
#include "wsol/regularizers/no_regularizer.h"
#include "wsol/regularizers/symmetric_kl.h"

namespace wsol::regularizers {

const std::vector<RegularizerEntry>& RegularizerTable() {
  static const auto* table = new std::vector<RegularizerEntry>{
      {"none", "",
       [](double) -> std::unique_ptr<Regularizer> { return std::make_unique<NoRegularizer>(); }},
      {"entropy_kl_uniform", "lambda",
       [](double w) -> std::unique_ptr<Regularizer> {
         return std::make_unique<EntropyKlUniform>(EntropyKlUniformOptions{w});
       }},
      {"label_smoothing", "gamma",
       [](double w) -> std::unique_ptr<Regularizer> {
         return std::make_unique<LabelSmoothing>(LabelSmoothingOptions{w});
       }},
      {"confidence_penalty", "beta",
       [](double w) -> std::unique_ptr<Regularizer> {
         return std::make_unique<ConfidencePenalty>(ConfidencePenaltyOptions{w});
       }},
      {"kl_p_u", "lambda",
       [](double w) -> std::unique_ptr<Regularizer> {
         return std::make_unique<KlPU>(KlPUOptions{w});
       }},
      {"symmetric_kl", "lambda",
       [](double w) -> std::unique_ptr<Regularizer> {
         return std::make_unique<SymmetricKl>(SymmetricKlOptions{w});
       }},
      {"jsd", "lambda",
       [](double w) -> std::unique_ptr<Regularizer> {
         return std::make_unique<Jsd>(JsdOptions{w});
       }},
  };
  return *table;
}

std::vector<std::string> RegularizerNames() {
  std::vector<std::string> names;
  for (const RegularizerEntry& entry : RegularizerTable()) names.push_back(entry.name);
  return names;
}

const RegularizerEntry& FindRegularizer(const std::string& name) {
  for (const RegularizerEntry& entry : RegularizerTable()) {
    if (entry.name == name) return entry;
  }
  std::string valid;
  for (const std::string& n : RegularizerNames()) valid += (valid.empty() ? "" : ", ") + n;
  TORCH_CHECK_VALUE(false, "unknown regularizer \"", name, "\"; valid regularizers: ", valid);
}

std::unique_ptr<Regularizer> CreateRegularizer(const std::string& name, double weight) {
  return FindRegularizer(name).make(weight);
}

}  // namespace wsol::regularizers
