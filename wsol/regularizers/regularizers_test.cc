// Tests of the loss terms: hand-worked values, the documented identities, and a
// conformance suite over every entry of the regularizer table (finite at extreme logits,
// gradients against a float64 finite-difference reference, mixed labels).
#include <torch/autograd.h>
#include <torch/types.h>

#include <cmath>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "wsol/regularizers/distribution_terms.h"
#include "wsol/regularizers/regularizer_builder.h"
#include "wsol/util/status_matchers.h"

namespace wsol::regularizers {
namespace {

using ::wsol::testing::IsOk;

// The weight field of each regularizer's message (test data, spelled out by hand).
std::string WeightField(const std::string& name) {
  if (name == "label_smoothing") return "gamma";
  if (name == "confidence_penalty") return "beta";
  if (name == "none") return "";
  return "lambda";
}

// The regularizer `name` with weight `w`, built through the table from its spec.
std::unique_ptr<Regularizer> Make(const std::string& name, double weight = 0.0) {
  proto::Regularizer spec;
  const std::string field = WeightField(name);
  const std::string text =
      name + " { " + (field.empty() ? "" : field + ": " + std::to_string(weight)) + " }";
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &spec)) << text;
  absl::StatusOr<std::unique_ptr<Regularizer>> built = BuildRegularizer(spec);
  EXPECT_TRUE(built.ok()) << built.status();
  return built.ok() ? *std::move(built) : nullptr;
}

std::vector<std::string> TableNames() {
  std::vector<std::string> names;
  for (const RegularizerRow& row : RegularizerTable()) names.push_back(row.name);
  return names;
}

torch::Tensor OneHot(std::vector<int64_t> labels, int64_t classes) {
  return torch::one_hot(torch::tensor(labels), classes).to(torch::kDouble);
}

// p = softmax([log 3, 0]) = (3/4, 1/4), C = 2: every term worked by hand.
TEST(DistributionTermsTest, HandWorkedTwoClassExample) {
  torch::Tensor log_p =
      torch::log_softmax(torch::tensor({{std::log(3.0), 0.0}}, torch::kDouble), 1);
  const double p0 = 0.75, p1 = 0.25, u = 0.5;
  const double kl_u_p = u * std::log(u / p0) + u * std::log(u / p1);  // 0.5 log(4/3)
  const double kl_p_u = p0 * std::log(p0 / u) + p1 * std::log(p1 / u);
  const double m0 = (p0 + u) / 2, m1 = (p1 + u) / 2;
  const double jsd = 0.5 * (p0 * std::log(p0 / m0) + p1 * std::log(p1 / m1)) +
                     0.5 * (u * std::log(u / m0) + u * std::log(u / m1));
  const double entropy = -(p0 * std::log(p0) + p1 * std::log(p1));
  EXPECT_NEAR(KlUniformToP(log_p).item<double>(), kl_u_p, 1e-12);
  EXPECT_NEAR(KlUniformToP(log_p).item<double>(), 0.5 * std::log(4.0 / 3.0), 1e-12);
  EXPECT_NEAR(KlPToUniform(log_p).item<double>(), kl_p_u, 1e-12);
  EXPECT_NEAR(JensenShannonToUniform(log_p).item<double>(), jsd, 1e-12);
  EXPECT_NEAR(Entropy(log_p).item<double>(), entropy, 1e-12);
  EXPECT_NEAR(UniformCrossEntropy(log_p).item<double>(), -0.5 * (std::log(p0) + std::log(p1)),
              1e-12);
}

TEST(DistributionTermsTest, AllDivergencesVanishAtUniform) {
  torch::Tensor log_p = torch::log_softmax(torch::zeros({3, 7}, torch::kDouble), 1);
  EXPECT_NEAR(KlUniformToP(log_p).abs().max().item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(KlPToUniform(log_p).abs().max().item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(JensenShannonToUniform(log_p).abs().max().item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(Entropy(log_p)[0].item<double>(), std::log(7.0), 1e-12);
}

TEST(RegularizerIdentityTest, KlUniformIsMinusLogCMinusMeanLogP) {
  torch::manual_seed(3);
  torch::Tensor logits = torch::randn({5, 10}, torch::kDouble) * 3;
  torch::Tensor targets = OneHot({0, 1, 2, 3, 4}, 10);
  LossTerms er = Make("entropy_kl_uniform", 0.5)->Loss(logits, targets);
  torch::Tensor log_p = torch::log_softmax(logits, 1);
  const double expected = 0.5 * (-std::log(10.0) - log_p.mean(1)).mean().item<double>();
  EXPECT_NEAR(er.regularization.item<double>(), expected, 1e-12);
  // Its data term is the usual cross-entropy.
  EXPECT_NEAR(er.classification.item<double>(),
              torch::nll_loss(log_p, torch::tensor({0, 1, 2, 3, 4})).item<double>(), 1e-12);
}

TEST(RegularizerIdentityTest, LabelSmoothingIsCrossEntropyWithSmoothedTarget) {
  torch::manual_seed(4);
  const double gamma = 0.25;  // exact in float, the spec's type
  torch::Tensor logits = torch::randn({6, 5}, torch::kDouble) * 2;
  torch::Tensor targets = OneHot({0, 1, 2, 3, 4, 0}, 5);
  LossTerms ls = Make("label_smoothing", gamma)->Loss(logits, targets);
  torch::Tensor smoothed = (1 - gamma) * targets + gamma / 5.0;
  torch::Tensor log_p = torch::log_softmax(logits, 1);
  EXPECT_NEAR(ls.total.item<double>(), -(smoothed * log_p).sum(1).mean().item<double>(), 1e-12);
  // = (1 - g) CE + g H(u, p), and g H(u, p) = g KL(u || p) + g log C.
  LossTerms er = Make("entropy_kl_uniform", gamma)->Loss(logits, targets);
  EXPECT_NEAR(ls.regularization.item<double>(),
              er.regularization.item<double>() + gamma * std::log(5.0), 1e-12);
}

TEST(RegularizerIdentityTest, ConfidencePenaltyIsBetaKlPUplusConstant) {
  torch::manual_seed(5);
  torch::Tensor logits = torch::randn({4, 6}, torch::kDouble);
  torch::Tensor targets = OneHot({1, 2, 3, 4}, 6);
  LossTerms cp = Make("confidence_penalty", 0.375)->Loss(logits, targets);
  LossTerms kl = Make("kl_p_u", 0.375)->Loss(logits, targets);
  EXPECT_NEAR(cp.total.item<double>(), kl.total.item<double>() - 0.375 * std::log(6.0), 1e-12);
}

TEST(RegularizerIdentityTest, SymmetricKlIsTheSumOfBothDirections) {
  torch::manual_seed(6);
  torch::Tensor logits = torch::randn({4, 6}, torch::kDouble);
  torch::Tensor targets = OneHot({1, 2, 3, 4}, 6);
  const double sym = Make("symmetric_kl", 0.7)->Loss(logits, targets).regularization.item<double>();
  const double a = Make("kl_p_u", 0.7)->Loss(logits, targets).regularization.item<double>();
  const double b =
      Make("entropy_kl_uniform", 0.7)->Loss(logits, targets).regularization.item<double>();
  EXPECT_NEAR(sym, a + b, 1e-12);
}

// The readings of lambda, each against its closed-form gradient on the logits: the
// formula's is lambda (p - u) / B per image (the batch mean), summing over the classes
// multiplies it by C, summing over the batch by B.
TEST(EntropyKlUniformTest, EachReductionHasItsClosedFormGradient) {
  const int64_t batch = 3, classes = 5;
  const double lambda = 0.3;
  torch::manual_seed(4);
  const torch::Tensor logits0 = torch::randn({batch, classes}, torch::kDouble) * 2;
  const torch::Tensor p = torch::softmax(logits0, 1);
  const torch::Tensor formula = lambda * (p - 1.0 / classes) / batch;
  const std::vector<std::pair<std::string, double>> readings = {
      {"FORMULA", 1.0}, {"SUM_OVER_CLASSES", classes}, {"SUM_OVER_BATCH", batch}};
  for (const auto& [name, multiple] : readings) {
    proto::Regularizer spec;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        "entropy_kl_uniform { lambda: 0.3 reduction: " + name + " }", &spec));
    absl::StatusOr<std::unique_ptr<Regularizer>> er = BuildRegularizer(spec);
    ASSERT_THAT(er, IsOk());
    const torch::Tensor logits = logits0.clone().requires_grad_(true);
    const torch::Tensor targets = torch::zeros({batch, classes}, torch::kDouble);
    // Float lambda (0.3f) in the proto: compare relative to the term's own weight.
    const LossTerms loss = (*er)->Loss(logits, targets);
    loss.regularization.backward();
    const double float_lambda = spec.entropy_kl_uniform().lambda();
    EXPECT_TRUE(
        torch::allclose(logits.grad(), formula * multiple * (float_lambda / lambda), 1e-12, 1e-14))
        << name << "\n"
        << logits.grad() << "\n"
        << formula * multiple;
    // The value: the same multiple of the formula's (a KL, so 0 at the uniform p).
    const double kl =
        (-std::log(static_cast<double>(classes)) - torch::log(p).mean(1)).mean().item<double>();
    EXPECT_NEAR(loss.regularization.item<double>(), float_lambda * multiple * kl, 1e-12) << name;
  }
  proto::Regularizer unknown;
  EXPECT_FALSE(google::protobuf::TextFormat::ParseFromString(
      "entropy_kl_uniform { reduction: SUM }", &unknown));
}

// The closed-form fixed point against a trained toy: a batch of identical free logit
// vectors, trained by gradient descent on the regularized loss until it stops, ends with
// the off-target mass and entropy the closed form gives.
TEST(FixedPointTest, TheClosedFormIsWhereTrainingStops) {
  const int64_t batch = 4, classes = 10;
  for (const std::string& text :
       {std::string("entropy_kl_uniform { lambda: 0.05 }"),
        std::string("entropy_kl_uniform { lambda: 0.01 reduction: SUM_OVER_CLASSES }"),
        std::string("entropy_kl_uniform { lambda: 0.01 reduction: SUM_OVER_BATCH }"),
        std::string("label_smoothing { gamma: 0.1 }")}) {
    proto::Regularizer spec;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &spec));
    absl::StatusOr<std::unique_ptr<Regularizer>> r = BuildRegularizer(spec);
    ASSERT_THAT(r, IsOk());
    const std::optional<double> m = (*r)->FixedPointOffTargetMass(classes, batch);
    ASSERT_TRUE(m.has_value()) << text;
    torch::Tensor z = torch::zeros({batch, classes}, torch::kDouble);
    z.index_put_({torch::indexing::Slice(), 0}, 3.0);
    z.requires_grad_(true);
    const torch::Tensor y = torch::zeros({batch, classes}, torch::kDouble)
                                .index_put_({torch::indexing::Slice(), 0}, 1.0);
    for (int step = 0; step < 4000; ++step) {
      const torch::Tensor loss = (*r)->Loss(z, y).total * batch;  // Per-row gradient.
      const torch::Tensor g = torch::autograd::grad({loss}, {z})[0];
      z = (z - 2.0 * g).detach().requires_grad_(true);
    }
    const torch::Tensor p = torch::softmax(z.detach(), 1)[0];
    const double trained = 1.0 - p[0].item<double>();
    EXPECT_NEAR(trained, *m, 1e-9 * std::max(1.0, *m * 1e3)) << text;
    const double entropy = -(p * p.log()).sum().item<double>();
    EXPECT_NEAR(entropy, EntropyAtOffTargetMass(*m, classes), 1e-8) << text;
  }
  // ER at the paper's lambda, 10 classes: 9e-5 off the target, a floor of 1.1e-3 nats.
  absl::StatusOr<std::unique_ptr<Regularizer>> paper = BuildRegularizer([] {
    proto::Regularizer r;
    r.mutable_entropy_kl_uniform()->set_lambda(1e-4f);
    return r;
  }());
  ASSERT_THAT(paper, IsOk());
  EXPECT_NEAR(*(*paper)->FixedPointOffTargetMass(10, 16), 9e-5, 1e-7);
  EXPECT_NEAR(EntropyAtOffTargetMass(*(*paper)->FixedPointOffTargetMass(10, 16), 10), 1.1e-3,
              0.05e-3);
  EXPECT_FALSE(Make("none")->FixedPointOffTargetMass(10, 16).has_value());
}

// GradientRatio against the gradients worked by hand: cross-entropy's p - y and ER's
// lambda (p - u), each over the batch.
TEST(FixedPointTest, GradientRatioIsTheRatioOfTheTwoPulls) {
  torch::manual_seed(2);
  const torch::Tensor logits = torch::randn({3, 5}, torch::kDouble) * 3;
  const torch::Tensor y = torch::one_hot(torch::tensor({0, 3, 1}), 5).to(torch::kDouble);
  const torch::Tensor p = torch::softmax(logits, 1);
  const double lambda = static_cast<float>(0.02);  // The proto holds a float.
  const double want = (lambda * (p - 0.2)).norm().item<double>() / (p - y).norm().item<double>();
  EXPECT_NEAR(GradientRatio(*Make("entropy_kl_uniform", 0.02), logits, y), want, 1e-12);
  EXPECT_EQ(GradientRatio(*Make("none"), logits, y), 0.0);
}

TEST(RegularizerBuilderTest, ValidationNamesTheFieldPath) {
  proto::Regularizer spec;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString("jsd { lambda: -1 }", &spec));
  EXPECT_THAT(BuildRegularizer(spec).status(),
              ::wsol::testing::StatusIs(
                  absl::StatusCode::kInvalidArgument,
                  ::testing::HasSubstr("regularizer.jsd.lambda = -1: expected >= 0")));
  ASSERT_TRUE(
      google::protobuf::TextFormat::ParseFromString("label_smoothing { gamma: 1.5 }", &spec));
  EXPECT_THAT(
      ValidateRegularizer(spec),
      ::wsol::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("regularizer.label_smoothing.gamma = 1.5")));
}

TEST(RegularizerBuilderTest, EveryOneofFieldHasATableEntry) {
  const google::protobuf::OneofDescriptor* oneof =
      proto::Regularizer::descriptor()->FindOneofByName("regularizer");
  ASSERT_NE(oneof, nullptr);
  std::set<std::string> table;
  for (const RegularizerRow& row : RegularizerTable()) {
    table.insert(row.name);
    // The row's case is the field of its name.
    EXPECT_EQ(oneof->field(0)->containing_oneof(), oneof);
    proto::Regularizer spec;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(row.name + " {}", &spec)) << row.name;
    EXPECT_EQ(spec.regularizer_case(), row.kase) << row.name;
    EXPECT_EQ(row.build(spec)->Name(), row.name);
  }
  for (int i = 0; i < oneof->field_count(); ++i) {
    EXPECT_EQ(table.count(oneof->field(i)->name()), 1u) << oneof->field(i)->name();
  }
  EXPECT_EQ(static_cast<int>(table.size()), oneof->field_count());
}

TEST(RegularizerBuilderTest, BuildsNamedRegularizerWithItsWeight) {
  proto::Regularizer spec;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString("jsd { lambda: 0.25 }", &spec));
  absl::StatusOr<std::unique_ptr<Regularizer>> built = BuildRegularizer(spec);
  ASSERT_THAT(built, IsOk());
  EXPECT_EQ((*built)->Name(), "jsd");
  torch::Tensor logits = torch::tensor({{std::log(3.0), 0.0}}, torch::kDouble);
  torch::Tensor log_p = torch::log_softmax(logits, 1);
  EXPECT_NEAR((*built)->Loss(logits, OneHot({0}, 2)).regularization.item<double>(),
              0.25 * JensenShannonToUniform(log_p).item<double>(), 1e-12);
  // An unset oneof is plain cross-entropy.
  absl::StatusOr<std::unique_ptr<Regularizer>> none = BuildRegularizer(proto::Regularizer());
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ((*none)->Name(), "none");
}

class RegularizerConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RegularizerConformanceTest, FiniteLossAndGradientsAtExtremeLogits) {
  auto reg = Make(GetParam(), 0.1);
  for (torch::ScalarType type : {torch::kFloat, torch::kDouble}) {
    torch::Tensor logits =
        torch::tensor({{1e4, -1e4, 0.0, 5.0}, {-1e4, -1e4, -1e4, 1e4}}, type).requires_grad_();
    torch::Tensor targets = OneHot({1, 3}, 4).to(type);
    LossTerms terms = reg->Loss(logits, targets);
    ASSERT_TRUE(std::isfinite(terms.total.item<double>())) << GetParam();
    terms.total.backward();
    EXPECT_TRUE(torch::isfinite(logits.grad()).all().item<bool>()) << GetParam();
  }
}

TEST_P(RegularizerConformanceTest, GradientMatchesFiniteDifferences) {
  torch::manual_seed(11);
  auto reg = Make(GetParam(), 0.3);
  torch::Tensor logits = (torch::randn({3, 5}, torch::kDouble) * 2).requires_grad_();
  // Mixed (CutMix-style) targets: the regularizer needs no label, the data term mixes.
  torch::Tensor targets = 0.7 * OneHot({0, 2, 4}, 5) + 0.3 * OneHot({1, 1, 3}, 5);
  reg->Loss(logits, targets).total.backward();
  torch::Tensor analytic = logits.grad().clone();
  const double h = 1e-6;
  torch::NoGradGuard no_grad;
  torch::Tensor base = logits.detach();
  for (int64_t i = 0; i < base.size(0); ++i) {
    for (int64_t j = 0; j < base.size(1); ++j) {
      torch::Tensor plus = base.clone(), minus = base.clone();
      plus[i][j] += h;
      minus[i][j] -= h;
      const double numeric = (reg->Loss(plus, targets).total.item<double>() -
                              reg->Loss(minus, targets).total.item<double>()) /
                             (2 * h);
      EXPECT_NEAR(analytic[i][j].item<double>(), numeric, 1e-7)
          << GetParam() << " " << i << "," << j;
    }
  }
}

TEST_P(RegularizerConformanceTest, ZeroWeightIsPlainCrossEntropy) {
  torch::manual_seed(12);
  torch::Tensor logits = torch::randn({4, 3}, torch::kDouble);
  torch::Tensor targets = OneHot({0, 1, 2, 0}, 3);
  const double ce =
      torch::nll_loss(torch::log_softmax(logits, 1), torch::tensor({0, 1, 2, 0})).item<double>();
  LossTerms terms = Make(GetParam(), 0.0)->Loss(logits, targets);
  EXPECT_NEAR(terms.total.item<double>(), ce, 1e-12);
  EXPECT_NEAR(terms.total.item<double>(),
              terms.classification.item<double>() + terms.regularization.item<double>(), 1e-12);
}

INSTANTIATE_TEST_SUITE_P(AllRegularizers, RegularizerConformanceTest,
                         ::testing::ValuesIn(TableNames()));

}  // namespace
}  // namespace wsol::regularizers
