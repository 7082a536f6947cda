// Conformance over every entry of the method table: built from the proto's defaults
// through the builder, each attaches to the backbones, gives a finite loss with
// gradients, trains (the loss falls on a tiny fixed batch), infers CAMs [B, h, w]
// deterministically in evaluation mode, and leaves evaluation untouched where it only
// acts in training. Also: every oneof field of proto::Method has a table entry.
#include <torch/types.h>

#include <cmath>
#include <random>
#include <set>
#include <string>

#include "baselines/method_builder.h"
#include "baselines/method_testing.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "wsol/backbones/backbone_registry.h"
#include "wsol/cam/cam.h"
#include "wsol/proto/method.pb.h"
#include "wsol/regularizers/entropy_kl_uniform.h"
#include "wsol/regularizers/no_regularizer.h"
#include "wsol/util/status_matchers.h"

namespace wsol::baselines {
namespace {

using ::testing::HasSubstr;

// The spec selecting `name` with its proto defaults, except branch widths narrowed to
// `width` so the tests stay small.
proto::Method SpecFor(const std::string& name, int width = 16) {
  proto::Method spec;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(name + " {}", &spec)) << name;
  if (spec.has_acol()) spec.mutable_acol()->set_hidden_channels(width);
  if (spec.has_spg()) {
    spec.mutable_spg()->set_branch_channels(width);
    spec.mutable_spg()->set_head_channels(width);
  }
  return spec;
}

std::shared_ptr<methods::Method> Build(const std::string& name) {
  absl::StatusOr<std::shared_ptr<methods::Method>> method = BuildMethod(SpecFor(name));
  EXPECT_THAT(method.status(), ::wsol::testing::IsOk());
  return method.ok() ? *method : nullptr;
}

bool AllFinite(const torch::Tensor& t) { return torch::isfinite(t).all().item<bool>(); }

TEST(MethodTableTest, EveryOneofFieldOfTheSpecHasAnEntryAndBack) {
  const google::protobuf::OneofDescriptor* oneof =
      proto::Method::descriptor()->FindOneofByName("method");
  ASSERT_NE(oneof, nullptr);
  std::set<std::string> fields;
  for (int i = 0; i < oneof->field_count(); ++i) fields.insert(oneof->field(i)->name());
  const std::vector<std::string> names = MethodNames();
  EXPECT_EQ(fields, std::set<std::string>(names.begin(), names.end()));
  EXPECT_THAT(names, ::testing::ElementsAre("cam", "has", "cutmix", "adl", "rdap", "acol", "spg"));
}

TEST(MethodTableTest, EachRowBuildsTheMethodOfItsCase) {
  for (const MethodRow& row : MethodTable()) {
    const proto::Method spec = SpecFor(row.name);
    EXPECT_EQ(spec.method_case(), row.kase) << row.name;
    EXPECT_EQ(FindMethodRow(spec), &row);
    EXPECT_EQ(row.build(spec)->Name(), row.name);
  }
  // An unset oneof is CAM.
  EXPECT_EQ(FindMethodRow(proto::Method())->name, "cam");
}

TEST(MethodBuilderTest, ValidationNamesEveryBadFieldByPath) {
  proto::Method spec;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "spg { threshold_1h: 0.3 threshold_1l: 0.5 head_channels: 0 }", &spec));
  const absl::Status status = ValidateMethod(spec);
  EXPECT_THAT(status,
              ::wsol::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("method.spg.threshold_1l = 0.5: expected in [0, "
                                                  "method.spg.threshold_1h)")));
  EXPECT_THAT(status.message(), HasSubstr("method.spg.head_channels = 0: expected > 0"));
}

TEST(MethodBuilderTest, OutOfRangeValuesBecomeStatusErrors) {
  proto::Method spec;
  spec.mutable_rdap()->set_mask_size(0);
  EXPECT_THAT(
      BuildMethod(spec).status(),
      ::wsol::testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mask_size")));
}

class MethodConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(MethodConformanceTest, AttachesToEveryBackboneAndStepsWithFiniteLossAndGradients) {
  auto none = std::make_unique<regularizers::NoRegularizer>();
  for (const std::string& arch : backbones::BackboneNames()) {
    SCOPED_TRACE(arch);
    auto net = testing::TinyBackbone(arch);
    std::shared_ptr<methods::Method> method = Build(GetParam());
    ASSERT_NE(method, nullptr);
    method->Attach(*net, testing::kTinyClasses);
    EXPECT_EQ(method->Name(), GetParam());
    net->train();
    method->train();
    const testing::TinyBatch batch = testing::MakeTinyBatch(4, 64);
    std::mt19937_64 rng(1);
    methods::StepOutput step = method->TrainingStep(*net, batch.images, batch.targets, *none, rng);
    EXPECT_EQ(step.logits.sizes(), (std::vector<int64_t>{4, testing::kTinyClasses}));
    ASSERT_TRUE(AllFinite(step.loss.total));
    EXPECT_TRUE(AllFinite(step.loss.classification));
    step.loss.total.backward();
    int with_grad = 0;
    for (const torch::Tensor& p : net->parameters()) {
      if (p.grad().defined()) {
        ++with_grad;
        EXPECT_TRUE(AllFinite(p.grad()));
      }
    }
    EXPECT_GT(with_grad, 0);
    // Every branch parameter a method adds is trained.
    for (const torch::Tensor& p : method->ExtraParameters()) {
      ASSERT_TRUE(p.grad().defined());
      EXPECT_TRUE(AllFinite(p.grad()));
    }
  }
}

TEST_P(MethodConformanceTest, InceptionHeadDropoutAsWsolevaluationsVariant) {
  // wsol/inception.py: InceptionCam and InceptionSpg apply dropout (p = 0.5) three times
  // in the head; InceptionAdl and InceptionAcol apply none. HaS and CutMix train the CAM
  // model; RDAP (no public code) follows ADL.
  const std::set<std::string> without = {"adl", "rdap", "acol"};
  auto net = testing::TinyBackbone("inception_v3");
  ASSERT_TRUE(net->head_dropout());
  std::shared_ptr<methods::Method> method = Build(GetParam());
  ASSERT_NE(method, nullptr);
  method->Attach(*net, testing::kTinyClasses);
  EXPECT_EQ(net->head_dropout(), without.count(GetParam()) == 0);
}

TEST_P(MethodConformanceTest, InfersCamsDeterministicallyInEvaluationMode) {
  auto net = testing::TinyBackbone("resnet50");
  std::shared_ptr<methods::Method> method = Build(GetParam());
  ASSERT_NE(method, nullptr);
  method->Attach(*net, testing::kTinyClasses);
  net->eval();
  method->eval();
  torch::NoGradGuard no_grad;
  const testing::TinyBatch batch = testing::MakeTinyBatch(3, 64);
  const methods::Inference first = method->Infer(*net, batch.images, batch.labels);
  const methods::Inference second = method->Infer(*net, batch.images, batch.labels);
  EXPECT_EQ(first.cams.sizes(), (std::vector<int64_t>{3, 4, 4}));
  EXPECT_EQ(first.logits.sizes(), (std::vector<int64_t>{3, testing::kTinyClasses}));
  EXPECT_TRUE(AllFinite(first.cams));
  EXPECT_TRUE(torch::equal(first.cams, second.cams));
  EXPECT_TRUE(torch::equal(first.logits, second.logits));
  EXPECT_FALSE(first.stages.empty());
}

TEST_P(MethodConformanceTest, TrainingOnlyPartsAreTheIdentityInEvaluationMode) {
  if (GetParam() == "acol") GTEST_SKIP() << "ACoL's inference reads its own branches";
  auto net = testing::TinyBackbone("resnet50");
  std::shared_ptr<methods::Method> method = Build(GetParam());
  ASSERT_NE(method, nullptr);
  method->Attach(*net, testing::kTinyClasses);
  net->eval();
  method->eval();
  torch::NoGradGuard no_grad;
  const testing::TinyBatch batch = testing::MakeTinyBatch(3, 64);
  const methods::Inference inference = method->Infer(*net, batch.images, batch.labels);
  auto none = std::make_unique<regularizers::NoRegularizer>();
  std::mt19937_64 rng(2);
  const methods::StepOutput eval_step =
      method->TrainingStep(*net, batch.images, batch.targets, *none, rng);
  net->SetBlockHook(nullptr);  // the bare backbone
  const backbones::BackboneOutput bare = net->Forward(batch.images);
  EXPECT_TRUE(torch::equal(inference.logits, bare.logits));
  EXPECT_TRUE(torch::equal(eval_step.logits, bare.logits));
  EXPECT_TRUE(torch::allclose(
      inference.cams,
      cam::ClassActivationMaps(bare.features, net->ClassifierWeight(), batch.labels)));
}

TEST_P(MethodConformanceTest, LossFallsOverAFewStepsOnATinyFixedBatch) {
  auto net = testing::TinyBackbone("resnet50");
  std::shared_ptr<methods::Method> method = Build(GetParam());
  ASSERT_NE(method, nullptr);
  method->Attach(*net, testing::kTinyClasses);
  auto er = std::make_unique<regularizers::EntropyKlUniform>(
      regularizers::EntropyKlUniformOptions{.lambda = 1e-4});
  const testing::TinyBatch batch = testing::MakeTinyBatch(8, 64);
  const std::vector<double> losses =
      testing::TrainSteps(*method, *net, batch, *er, /*steps=*/20, /*lr=*/0.02);
  std::string series;
  for (double loss : losses) {
    ASSERT_TRUE(std::isfinite(loss));
    series += std::to_string(loss) + " ";
  }
  EXPECT_LT(losses.back(), 0.8 * losses.front()) << series;
}

INSTANTIATE_TEST_SUITE_P(AllMethods, MethodConformanceTest, ::testing::ValuesIn(MethodNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace wsol::baselines
