#include "baselines/method_builder.h"

#include "absl/strings/str_cat.h"
#include "baselines/acol_method.h"
#include "baselines/adl_method.h"
#include "baselines/cutmix_method.h"
#include "baselines/has_method.h"
#include "baselines/rdap_method.h"
#include "baselines/spg_method.h"
#include "wsol/methods/cam_method.h"
#include "wsol/util/name_table.h"

namespace wsol::baselines {

const std::vector<MethodRow>& MethodTable() {
  using M = proto::Method;
  static const auto* table = new std::vector<MethodRow>{
      {M::kCam, "cam", [](const M&, FieldChecker&) {},
       [](const M&) -> std::shared_ptr<methods::Method> {
         return std::make_shared<methods::CamMethod>();
       }},
      {M::kHas, "has",
       [](const M& m, FieldChecker& c) {
         c.Range(m.has().grid_size() > 0, "grid_size", m.has().grid_size(), "> 0");
         c.InUnit("drop_rate", m.has().drop_rate());
       },
       [](const M& m) -> std::shared_ptr<methods::Method> {
         return std::make_shared<HasMethod>(m.has().grid_size(), m.has().drop_rate());
       }},
      {M::kCutmix, "cutmix",
       [](const M& m, FieldChecker& c) {
         c.Positive("beta", m.cutmix().beta());
         c.InUnit("prob", m.cutmix().prob());
       },
       [](const M& m) -> std::shared_ptr<methods::Method> {
         return std::make_shared<CutMixMethod>(m.cutmix().beta(), m.cutmix().prob());
       }},
      {M::kAdl, "adl",
       [](const M& m, FieldChecker& c) {
         c.InUnit("drop_rate", m.adl().drop_rate());
         c.InUnit("gamma", m.adl().gamma());
       },
       [](const M& m) -> std::shared_ptr<methods::Method> {
         return std::make_shared<AdlMethod>(m.adl().drop_rate(), m.adl().gamma());
       }},
      {M::kRdap, "rdap",
       [](const M& m, FieldChecker& c) {
         c.Range(m.rdap().mask_size() > 0 && m.rdap().mask_size() <= 1, "mask_size",
                 m.rdap().mask_size(), "in (0, 1]");
         c.InUnit("drop_rate", m.rdap().drop_rate());
       },
       [](const M& m) -> std::shared_ptr<methods::Method> {
         return std::make_shared<RdapMethod>(m.rdap().mask_size(), m.rdap().drop_rate());
       }},
      {M::kAcol, "acol",
       [](const M& m, FieldChecker& c) {
         c.InUnit("erasing_threshold", m.acol().erasing_threshold());
         c.Range(m.acol().hidden_channels() > 0, "hidden_channels", m.acol().hidden_channels(),
                 "> 0");
       },
       [](const M& m) -> std::shared_ptr<methods::Method> {
         return std::make_shared<AcolMethod>(m.acol().erasing_threshold(),
                                             m.acol().hidden_channels());
       }},
      {M::kSpg, "spg",
       [](const M& m, FieldChecker& c) {
         const proto::Spg& s = m.spg();
         const double pairs[3][2] = {{s.threshold_1h(), s.threshold_1l()},
                                     {s.threshold_2h(), s.threshold_2l()},
                                     {s.threshold_3h(), s.threshold_3l()}};
         for (int i = 0; i < 3; ++i) {
           const std::string h = absl::StrCat("threshold_", i + 1, "h");
           const std::string l = absl::StrCat("threshold_", i + 1, "l");
           c.InUnit(h, pairs[i][0]);
           c.Range(pairs[i][1] >= 0 && pairs[i][1] <= 1 && pairs[i][1] < pairs[i][0], l,
                   pairs[i][1], absl::StrCat("in [0, ", c.Path(h), ")"));
         }
         c.Range(s.branch_channels() > 0, "branch_channels", s.branch_channels(), "> 0");
         c.Range(s.head_channels() > 0, "head_channels", s.head_channels(), "> 0");
       },
       [](const M& m) -> std::shared_ptr<methods::Method> {
         const proto::Spg& s = m.spg();
         SpgMethod::Options options;
         options.thresholds = {{{s.threshold_1h(), s.threshold_1l()},
                                {s.threshold_2h(), s.threshold_2l()},
                                {s.threshold_3h(), s.threshold_3l()}}};
         options.branch_channels = s.branch_channels();
         options.head_channels = s.head_channels();
         return std::make_shared<SpgMethod>(options);
       }},
  };
  return *table;
}

std::vector<std::string> MethodNames() { return NamesOf(MethodTable()); }

namespace {

proto::Method::MethodCase CaseOf(const proto::Method& spec) {
  return spec.method_case() == proto::Method::METHOD_NOT_SET ? proto::Method::kCam
                                                             : spec.method_case();
}

}  // namespace

const MethodRow* FindMethodRow(const proto::Method& spec) {
  return FindOneofRow(MethodTable(), CaseOf(spec));
}

absl::Status ValidateMethod(const proto::Method& spec) {
  return ValidateOneof("method", MethodTable(), CaseOf(spec), spec);
}

absl::StatusOr<std::shared_ptr<methods::Method>> BuildMethod(const proto::Method& spec) {
  return BuildOneof("method", MethodTable(), CaseOf(spec), spec);
}

}  // namespace wsol::baselines
