#include "baselines/method_registry.h"

#include <cmath>

#include <c10/util/Exception.h>

#include "baselines/acol_method.h"
#include "baselines/adl_method.h"
#include "baselines/cam_method.h"
#include "baselines/cutmix_method.h"
#include "baselines/has_method.h"
#include "baselines/rdap_method.h"
#include "baselines/spg_method.h"

namespace wsol::baselines {
namespace {

// Throws c10::ValueError when `params` holds a name outside `known`.
void CheckParamNames(const std::string& method, const MethodParams& params,
                     const std::vector<std::string>& known) {
  for (const auto& [name, value] : params) {
    (void)value;
    bool ok = false;
    for (const std::string& k : known) ok = ok || k == name;
    std::string valid;
    for (const std::string& k : known) valid += (valid.empty() ? "" : ", ") + k;
    TORCH_CHECK_VALUE(ok, "unknown parameter \"", name, "\" of method ", method,
                      "; valid parameters: ", valid.empty() ? "none" : valid);
  }
}

int64_t IntParam(const MethodParams& params, const std::string& key) {
  return static_cast<int64_t>(std::llround(Param(params, key)));
}

}  // namespace

const std::vector<MethodEntry>& MethodTable() {
  static const auto* table = new std::vector<MethodEntry>{
      {"cam",
       [](const MethodParams& p) -> std::shared_ptr<methods::Method> {
         CheckParamNames("cam", p, {});
         return std::make_shared<CamMethod>();
       }},
      {"has",
       [](const MethodParams& p) -> std::shared_ptr<methods::Method> {
         CheckParamNames("has", p, {"grid_size", "drop_rate"});
         return std::make_shared<HasMethod>(IntParam(p, "grid_size"), Param(p, "drop_rate"));
       }},
      {"cutmix",
       [](const MethodParams& p) -> std::shared_ptr<methods::Method> {
         CheckParamNames("cutmix", p, {"beta", "prob"});
         return std::make_shared<CutMixMethod>(Param(p, "beta"), Param(p, "prob"));
       }},
      {"adl",
       [](const MethodParams& p) -> std::shared_ptr<methods::Method> {
         CheckParamNames("adl", p, {"drop_rate", "gamma"});
         return std::make_shared<AdlMethod>(Param(p, "drop_rate"), Param(p, "gamma"));
       }},
      {"rdap",
       [](const MethodParams& p) -> std::shared_ptr<methods::Method> {
         CheckParamNames("rdap", p, {"mask_size", "drop_rate"});
         return std::make_shared<RdapMethod>(Param(p, "mask_size"), Param(p, "drop_rate"));
       }},
      {"acol",
       [](const MethodParams& p) -> std::shared_ptr<methods::Method> {
         CheckParamNames("acol", p, {"erasing_threshold", "hidden_channels"});
         return std::make_shared<AcolMethod>(Param(p, "erasing_threshold"),
                                             IntParam(p, "hidden_channels"));
       }},
      {"spg",
       [](const MethodParams& p) -> std::shared_ptr<methods::Method> {
         CheckParamNames("spg", p,
                         {"threshold_1h", "threshold_1l", "threshold_2h", "threshold_2l",
                          "threshold_3h", "threshold_3l", "branch_channels", "head_channels"});
         SpgMethod::Options options;
         for (int i = 0; i < 3; ++i) {
           const std::string n = "threshold_" + std::to_string(i + 1);
           options.thresholds[i] = {Param(p, n + "h"), Param(p, n + "l")};
         }
         options.branch_channels = IntParam(p, "branch_channels");
         options.head_channels = IntParam(p, "head_channels");
         return std::make_shared<SpgMethod>(options);
       }},
  };
  return *table;
}

std::vector<std::string> MethodNames() {
  std::vector<std::string> names;
  for (const MethodEntry& entry : MethodTable()) names.push_back(entry.name);
  return names;
}

std::shared_ptr<methods::Method> CreateMethod(const std::string& name, const MethodParams& params) {
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
