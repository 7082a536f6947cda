// method_registry.h
//
// The table of WSOL methods by name (the spec's method oneof field names). Each entry
// builds the method from plain options: a name -> value map of its hyper-parameters, as
// named in wsol/proto/method.proto (e.g. {"drop_rate": 0.75, "gamma": 0.9} for ADL).
// Missing entries take the proto's defaults, applied by the builder.
#ifndef BASELINES_METHOD_REGISTRY_H_
#define BASELINES_METHOD_REGISTRY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "wsol/methods/method.h"

namespace wsol::baselines {

using MethodParams = std::map<std::string, double>;

struct MethodEntry {
  std::string name;
  std::shared_ptr<methods::Method> (*make)(const MethodParams& params);
};

const std::vector<MethodEntry>& MethodTable();
std::vector<std::string> MethodNames();

// Builds the named method; an unknown name or parameter throws c10::ValueError naming
// the valid ones.
std::shared_ptr<methods::Method> CreateMethod(const std::string& name, const MethodParams& params);

// Reads params[key], throwing c10::ValueError when it is missing.
double Param(const MethodParams& params, const std::string& key);

}  // namespace wsol::baselines

#endif  // BASELINES_METHOD_REGISTRY_H_
