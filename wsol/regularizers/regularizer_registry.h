// regularizer_registry.h
//
// The table of regularizers by name. Each entry takes one weight: lambda for the
// divergences, gamma for label smoothing, beta for the confidence penalty, none for
// "none". The spec's regularizer oneof field names are these names.
//
//   std::unique_ptr<Regularizer> r = CreateRegularizer("jsd", 1e-3);
#ifndef WSOL_REGULARIZERS_REGULARIZER_REGISTRY_H_
#define WSOL_REGULARIZERS_REGULARIZER_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "wsol/regularizers/regularizer.h"

namespace wsol::regularizers {

struct RegularizerEntry {
  std::string name;         // "entropy_kl_uniform", also the spec's oneof field name.
  std::string weight_name;  // "lambda", "gamma", "beta", or "" when it takes none.
  std::unique_ptr<Regularizer> (*make)(double weight);
};

const std::vector<RegularizerEntry>& RegularizerTable();
std::vector<std::string> RegularizerNames();

// Returns the entry named `name`; throws c10::ValueError listing the valid names.
const RegularizerEntry& FindRegularizer(const std::string& name);

std::unique_ptr<Regularizer> CreateRegularizer(const std::string& name, double weight = 0.0);

}  // namespace wsol::regularizers

#endif  // WSOL_REGULARIZERS_REGULARIZER_REGISTRY_H_
