#include "baselines/method_registry.h"

#include <c10/util/Exception.h>

#include "baselines/cam_method.h"

namespace wsol::baselines {

const std::vector<MethodEntry>& MethodTable() {
  static const auto* table = new std::vector<MethodEntry>{
      {"cam", [](const MethodParams&) -> std::shared_ptr<Method> {
         return std::make_shared<CamMethod>();
       }},
  };
  return *table;
}

std::vector<std::string> MethodNames() {
  std::vector<std::string> names;
  for (const MethodEntry& entry : MethodTable()) names.push_back(entry.name);
  return names;
}

std::shared_ptr<Method> CreateMethod(const std::string& name, const MethodParams& params) {
  for (const MethodEntry& entry : MethodTable()) {
    if (entry.name == name) return entry.make(params);
  }
  std::string valid;
  for (const std::string& n : MethodNames()) valid += (valid.empty() ? "" : ", ") + n;
  TORCH_CHECK_VALUE(false, "unknown method \"", name, "\"; valid methods: ", valid);
}

double Param(const MethodParams& params, const std::string& key) {
  auto it = params.find(key);
  TORCH_CHECK_VALUE(it != params.end(), "missing method parameter \"", key, "\"");
  return it->second;
}

}  // namespace wsol::baselines
