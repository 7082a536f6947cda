#include "wsol/regularizers/regularizer_builder.h"

#include "wsol/regularizers/confidence_penalty.h"
#include "wsol/regularizers/entropy_kl_uniform.h"
#include "wsol/regularizers/jsd.h"
#include "wsol/regularizers/kl_p_u.h"
#include "wsol/regularizers/label_smoothing.h"
#include "wsol/regularizers/no_regularizer.h"
#include "wsol/regularizers/symmetric_kl.h"

namespace wsol::regularizers {

const std::vector<RegularizerRow>& RegularizerTable() {
  using R = proto::Regularizer;
  static const auto* table = new std::vector<RegularizerRow>{
      {R::kNone, "none", [](const R&, FieldChecker&) {},
       [](const R&) -> std::unique_ptr<Regularizer> { return std::make_unique<NoRegularizer>(); }},
      {R::kEntropyKlUniform, "entropy_kl_uniform",
       [](const R& r, FieldChecker& c) {
         c.NonNegative("lambda", r.entropy_kl_uniform().lambda());
       },
       [](const R& r) -> std::unique_ptr<Regularizer> {
         const proto::EntropyKlUniform& er = r.entropy_kl_uniform();
         const KlUniformReduction reduction =
             er.reduction() == proto::EntropyKlUniform::SUM_OVER_CLASSES
                 ? KlUniformReduction::kSumOverClasses
             : er.reduction() == proto::EntropyKlUniform::SUM_OVER_BATCH
                 ? KlUniformReduction::kSumOverBatch
                 : KlUniformReduction::kFormula;
         return std::make_unique<EntropyKlUniform>(
             EntropyKlUniformOptions{.lambda = er.lambda(), .reduction = reduction});
       }},
      {R::kLabelSmoothing, "label_smoothing",
       [](const R& r, FieldChecker& c) { c.InUnit("gamma", r.label_smoothing().gamma()); },
       [](const R& r) -> std::unique_ptr<Regularizer> {
         return std::make_unique<LabelSmoothing>(
             LabelSmoothingOptions{.gamma = r.label_smoothing().gamma()});
       }},
      {R::kConfidencePenalty, "confidence_penalty",
       [](const R& r, FieldChecker& c) { c.NonNegative("beta", r.confidence_penalty().beta()); },
       [](const R& r) -> std::unique_ptr<Regularizer> {
         return std::make_unique<ConfidencePenalty>(
             ConfidencePenaltyOptions{.beta = r.confidence_penalty().beta()});
       }},
      {R::kKlPU, "kl_p_u",
       [](const R& r, FieldChecker& c) { c.NonNegative("lambda", r.kl_p_u().lambda()); },
       [](const R& r) -> std::unique_ptr<Regularizer> {
         return std::make_unique<KlPU>(KlPUOptions{.lambda = r.kl_p_u().lambda()});
       }},
      {R::kSymmetricKl, "symmetric_kl",
       [](const R& r, FieldChecker& c) { c.NonNegative("lambda", r.symmetric_kl().lambda()); },
       [](const R& r) -> std::unique_ptr<Regularizer> {
         return std::make_unique<SymmetricKl>(
             SymmetricKlOptions{.lambda = r.symmetric_kl().lambda()});
       }},
      {R::kJsd, "jsd",
       [](const R& r, FieldChecker& c) { c.NonNegative("lambda", r.jsd().lambda()); },
       [](const R& r) -> std::unique_ptr<Regularizer> {
         return std::make_unique<Jsd>(JsdOptions{.lambda = r.jsd().lambda()});
       }},
  };
  return *table;
}

namespace {

proto::Regularizer::RegularizerCase CaseOf(const proto::Regularizer& spec) {
  return spec.regularizer_case() == proto::Regularizer::REGULARIZER_NOT_SET
             ? proto::Regularizer::kNone
             : spec.regularizer_case();
}

}  // namespace

const RegularizerRow* FindRegularizerRow(const proto::Regularizer& spec) {
  return FindOneofRow(RegularizerTable(), CaseOf(spec));
}

absl::Status ValidateRegularizer(const proto::Regularizer& spec) {
  return ValidateOneof("regularizer", RegularizerTable(), CaseOf(spec), spec);
}

absl::StatusOr<std::unique_ptr<Regularizer>> BuildRegularizer(const proto::Regularizer& spec) {
  return BuildOneof("regularizer", RegularizerTable(), CaseOf(spec), spec);
}

}  // namespace wsol::regularizers
