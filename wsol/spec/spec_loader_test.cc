#include "wsol/spec/spec_loader.h"

#include <array>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wsol/util/status_matchers.h"

namespace wsol::spec {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

constexpr char kGoodSpec[] = "wsol/spec/testdata/good.pbtxt";

TEST(SpecLoaderTest, LoadsGoodSpec) {
  absl::StatusOr<proto::Experiment> spec = LoadExperimentFile(kGoodSpec);
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->name(), "cam_er_fmnist");
  EXPECT_FLOAT_EQ(spec->regularizer().entropy_kl_uniform().lambda(), 1e-4f);
  EXPECT_EQ(spec->dataset().fmnist_loc().seed(), 3u);
  EXPECT_EQ(spec->evaluation().iou_thresholds_size(), 3);
  EXPECT_TRUE(spec->method().has_cam());
  // Unset fields read their schema defaults.
  EXPECT_FLOAT_EQ(spec->optimizer().momentum(), 0.9f);
}

TEST(SpecLoaderTest, DefaultsAreWsolevaluationsConfigDefaults) {
  // clovaai/wsolevaluation config.py: --epochs 40, --lr 0.01, --batch_size 64,
  // --lr_decay_frequency 30, --lr_classifier_ratio 10, --weight_decay 1e-4, momentum 0.9
  // (Nesterov in main.py), --cam_curve_interval 0.001, --eval_checkpoint_type last.
  const proto::Experiment defaults;
  const proto::Optimizer& o = defaults.optimizer();
  EXPECT_EQ(o.epochs(), 40);
  EXPECT_FLOAT_EQ(o.lr(), 0.01f);
  EXPECT_EQ(o.batch_size(), 64);
  EXPECT_EQ(o.decay_every_epochs(), 30);
  EXPECT_FLOAT_EQ(o.decay_factor(), 0.1f);
  EXPECT_FLOAT_EQ(o.classifier_lr_multiplier(), 10.0f);
  EXPECT_FLOAT_EQ(o.weight_decay(), 1e-4f);
  EXPECT_FLOAT_EQ(o.momentum(), 0.9f);
  EXPECT_TRUE(o.nesterov());
  const proto::Evaluation& e = defaults.evaluation();
  EXPECT_DOUBLE_EQ(e.cam_curve_interval(), 0.001);
  EXPECT_TRUE(e.multi_contour_eval());
  EXPECT_EQ(e.checkpoint_selection(), proto::Evaluation::LAST_EPOCH);
}

TEST(SpecLoaderTest, MissingFileIsNotFound) {
  EXPECT_THAT(LoadExperimentFile("no/such/spec.pbtxt"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no/such/spec.pbtxt")));
}

// An empty file, one with only comments, or a folder would otherwise train on every
// default: a spec must name its data set and backbone.
TEST(SpecLoaderTest, ASpecNamesItsDataAndBackbone) {
  const std::string dir = ::testing::TempDir() + "/thin_specs";
  std::filesystem::create_directories(dir + "/folder.pbtxt");
  std::ofstream(dir + "/empty.pbtxt") << "";
  std::ofstream(dir + "/comments.pbtxt") << "# nothing here\n  # at all\n";
  std::ofstream(dir + "/no_backbone.pbtxt") << "dataset { name: \"CUB\" }\n";
  EXPECT_THAT(LoadExperimentFile(dir + "/empty.pbtxt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("empty.pbtxt: the spec does not set dataset.name or "
                                       "backbone.architecture (the file is empty)"))));
  EXPECT_THAT(LoadExperimentFile(dir + "/comments.pbtxt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("does not set dataset.name or backbone.architecture")));
  EXPECT_THAT(LoadExperimentFile(dir + "/no_backbone.pbtxt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("does not set backbone.architecture;")));
  // Set from the command line counts.
  EXPECT_THAT(LoadExperimentFile(dir + "/no_backbone.pbtxt", {"backbone.architecture=vgg16"}),
              IsOk());
  EXPECT_THAT(LoadExperimentFile(dir + "/folder.pbtxt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("folder.pbtxt: is a directory, expected a spec file")));
}

TEST(SpecLoaderTest, ListValuesSplitAtCommasByTheFlagAreJoinedBack) {
  // --set=evaluation.iou_thresholds=[30,50,70],optimizer.lr=0.5 as the flag hands it over.
  const std::vector<std::string> pieces = {"evaluation.iou_thresholds=[30", "50", "70]",
                                           "optimizer.lr=0.5", "regularizer.jsd={lambda:1e-3}"};
  EXPECT_THAT(JoinSplitOverrides(pieces),
              ::testing::ElementsAre("evaluation.iou_thresholds=[30,50,70]", "optimizer.lr=0.5",
                                     "regularizer.jsd={lambda:1e-3}"));
  absl::StatusOr<proto::Experiment> spec = LoadExperimentFile(kGoodSpec, pieces);
  ASSERT_THAT(spec, IsOk());
  EXPECT_THAT(spec->evaluation().iou_thresholds(), ::testing::ElementsAre(30, 50, 70));
}

TEST(SpecLoaderTest, ThreadAndWorkerCountsHaveSaneBounds) {
  EXPECT_THAT(LoadExperimentFile(kGoodSpec, {"runtime.loader_workers=100000"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("runtime.loader_workers = 100000: expected in [0, 256]")));
  EXPECT_THAT(LoadExperimentFile(kGoodSpec, {"runtime.threads=100000"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("runtime.threads = 100000: expected in [0, 1024]")));
  EXPECT_THAT(LoadExperimentFile(kGoodSpec, {"runtime.checkpoint_every_epochs=0"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("runtime.checkpoint_every_epochs = 0: expected >= 1")));
  EXPECT_THAT(LoadExperimentFile(kGoodSpec, {"evaluation.observe_every_epochs=-3"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("evaluation.observe_every_epochs = -3: expected >= 1")));
}

TEST(SpecLoaderTest, EveryCountHasAnUpperBound) {
  // INT_MAX images per class used to reach the data generator and abort it
  // (std::length_error); each absurd count is now refused by field.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"dataset.fmnist_loc.train_per_class=2147483647",
       "dataset.fmnist_loc.train_per_class = 2147483647: expected in [1, 6000]"},
      {"dataset.fmnist_loc.test_per_class=5000", "expected in [1, 1000]"},
      {"dataset.fmnist_loc.canvas_size=100000", "expected in [16, 1024]"},
      {"dataset.fmnist_loc.distractors=1000000", "expected in [0, 64]"},
      {"dataset.num_classes=2147483647", "dataset.num_classes = 2147483647"},
      {"dataset.resize_size=1000000", "dataset.resize_size = 1000000: expected in [1, 4096]"},
      {"dataset.eval_size=1000000", "dataset.eval_size = 1000000"},
      {"optimizer.epochs=2147483647", "optimizer.epochs = 2147483647: expected in [1, 100000]"},
      {"optimizer.batch_size=100000000", "optimizer.batch_size = 100000000"},
      {"optimizer.decay_every_epochs=2147483647", "optimizer.decay_every_epochs"},
  };
  for (const auto& [assignment, message] : cases) {
    EXPECT_THAT(LoadExperimentFile(kGoodSpec, {assignment}),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << assignment;
  }
}

TEST(SpecLoaderTest, PathsInsideASpecAreRelativeToTheWorkspaceRoot) {
  proto::Experiment e;
  e.mutable_backbone()->set_pretrained_path("baselines/pretrained/w.pt");
  e.mutable_dataset()->set_root("/data/CUB");  // Absolute: kept.
  e.mutable_dataset()->set_metadata_root("metadata/CUB");
  e.mutable_runtime()->set_output_dir("runs/a");
  proto::Experiment unchanged = e;
  ResolveSpecPaths("", &unchanged);  // The working directory is the root: nothing moves.
  EXPECT_EQ(unchanged.backbone().pretrained_path(), "baselines/pretrained/w.pt");
  ResolveSpecPaths("/ws", &e);
  EXPECT_EQ(e.backbone().pretrained_path(), "/ws/baselines/pretrained/w.pt");
  EXPECT_EQ(e.dataset().root(), "/data/CUB");
  EXPECT_EQ(e.dataset().metadata_root(), "/ws/metadata/CUB");
  EXPECT_EQ(e.runtime().output_dir(), "/ws/runs/a");
  EXPECT_FALSE(e.dataset().has_mask_root());  // Unset fields stay unset.
}

TEST(SpecLoaderTest, ASeedOrProfileLeftAtItsDefaultIsTheSameRunAsOneWrittenOut) {
  // The tables write runtime.seed and runtime.profile; //tools:train on the same
  // spec without them must find the same run folder.
  proto::Experiment implicit;
  implicit.mutable_optimizer()->set_lr(0.1f);
  proto::Experiment written = implicit;
  written.mutable_runtime()->set_seed(0);
  written.mutable_runtime()->set_profile("embedded");
  EXPECT_EQ(ResultFingerprint(implicit), ResultFingerprint(written));
  written.mutable_runtime()->set_seed(1);
  EXPECT_NE(ResultFingerprint(implicit), ResultFingerprint(written));
}

TEST(SpecLoaderTest, UnknownFieldNamesFileLineAndColumn) {
  const char* text = "name: \"x\"\noptimizer {\n  learning_rate: 0.1\n}\n";
  EXPECT_THAT(ParseExperiment(text, "bad.pbtxt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad.pbtxt:3:"), HasSubstr("learning_rate"))));
}

TEST(SpecLoaderTest, BadEnumValueNamesTheValue) {
  const char* text = "dataset {\n  annotation: POLYGONS\n}\n";
  EXPECT_THAT(ParseExperiment(text, "enum.pbtxt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("enum.pbtxt:"), HasSubstr("\"POLYGONS\""),
                             HasSubstr("\"annotation\""))));
}

TEST(SpecLoaderTest, AmbiguousMethodIsRejected) {
  // A singular message given twice, or two members of one oneof, would silently drop a
  // setting: both are errors with a position.
  const char* twice = "method { cam {} }\nmethod { adl {} }\n";
  const char* both = "method { cam {} adl {} }\n";
  EXPECT_THAT(ParseExperiment(twice, "a.pbtxt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("a.pbtxt:2:"), HasSubstr("\"method\""))));
  EXPECT_THAT(ParseExperiment(both, "b.pbtxt"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("b.pbtxt:1:")));
}

TEST(SpecLoaderTest, OutOfRangeValuesNameFieldPathAndRange) {
  proto::Experiment spec;
  spec.mutable_regularizer()->mutable_entropy_kl_uniform()->set_lambda(-1.0f);
  spec.mutable_optimizer()->set_lr(0.0f);
  spec.mutable_optimizer()->set_batch_size(0);
  spec.mutable_evaluation()->set_cam_curve_interval(1.5);
  // The components' own checks come in through ComponentValidators (the regularizer
  // table's here stands in as a fake that names the field).
  ComponentValidators components;
  components.regularizer = [](const proto::Regularizer& r) {
    return r.entropy_kl_uniform().lambda() < 0 ? absl::InvalidArgumentError(
                                                     "regularizer.entropy_kl_uniform.lambda = -1: "
                                                     "expected >= 0")
                                               : absl::OkStatus();
  };
  absl::Status status = ValidateExperiment(spec, components);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               AllOf(HasSubstr("regularizer.entropy_kl_uniform.lambda = -1: "
                                               "expected >= 0"),
                                     HasSubstr("optimizer.lr = 0: expected > 0"),
                                     HasSubstr("optimizer.batch_size = 0: expected in [1, 65536]"),
                                     HasSubstr("evaluation.cam_curve_interval = 1.5: expected "
                                               "in (0, 1)"))));
}

TEST(SpecLoaderTest, CrossFieldChecks) {
  proto::Experiment spec;
  spec.mutable_dataset()->set_resize_size(64);
  spec.mutable_dataset()->set_crop_size(96);
  spec.mutable_runtime()->set_device("tpu");
  EXPECT_THAT(ValidateExperiment(spec), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 AllOf(HasSubstr("dataset.crop_size = 96"),
                                                       HasSubstr("runtime.device = \"tpu\""))));
}

TEST(SpecLoaderTest, DefaultSpecIsValid) {
  EXPECT_THAT(ValidateExperiment(proto::Experiment()), IsOk());
}

TEST(SpecLoaderTest, OverridesSetScalarsStringsAndRepeatedFields) {
  absl::StatusOr<proto::Experiment> spec = LoadExperimentFile(
      kGoodSpec, {"optimizer.lr=0.5", "backbone.architecture=vgg16",
                  "evaluation.iou_thresholds=[50]", "regularizer.label_smoothing.gamma=0.2"});
  ASSERT_THAT(spec, IsOk());
  EXPECT_FLOAT_EQ(spec->optimizer().lr(), 0.5f);
  EXPECT_EQ(spec->optimizer().epochs(), 2);  // Untouched siblings survive.
  EXPECT_EQ(spec->backbone().architecture(), "vgg16");
  ASSERT_EQ(spec->evaluation().iou_thresholds_size(), 1);
  EXPECT_EQ(spec->evaluation().iou_thresholds(0), 50);
  // Setting another oneof member replaces the regularizer.
  EXPECT_TRUE(spec->regularizer().has_label_smoothing());
  EXPECT_FALSE(spec->regularizer().has_entropy_kl_uniform());
  // A message body selects a oneof member with its defaults.
  ASSERT_THAT(ApplyOverride("method.adl={ gamma: 0.8 }", &*spec), IsOk());
  EXPECT_TRUE(spec->method().has_adl());
  EXPECT_FLOAT_EQ(spec->method().adl().gamma(), 0.8f);
  EXPECT_FALSE(spec->method().has_cam());
}

TEST(SpecLoaderTest, BadOverridesAreExplained) {
  proto::Experiment spec;
  EXPECT_THAT(ApplyOverride("optimizer.lr", &spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("path.to.field=value")));
  EXPECT_THAT(ApplyOverride("optimizer.learning_rate=1", &spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("no field \"learning_rate\""), HasSubstr("lr"))));
  EXPECT_THAT(ApplyOverride("optimizer=1", &spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is a message")));
  // "many" is also in the override's own name; the parser must say what it expected.
  EXPECT_THAT(ApplyOverride("optimizer.epochs=many", &spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("many"), HasSubstr("Expected integer"))));
  EXPECT_THAT(
      LoadExperimentFile(kGoodSpec, {"optimizer.lr=-2"}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("good.pbtxt: invalid spec"), HasSubstr("optimizer.lr = -2"))));
}

TEST(SpecLoaderTest, ResultFingerprintIgnoresOnlyWhatCannotChangeResults) {
  proto::Experiment a;
  a.mutable_optimizer()->set_lr(0.1f);
  proto::Experiment b = a;
  b.set_name("renamed");
  b.mutable_runtime()->set_device("cuda");
  b.mutable_runtime()->set_threads(7);
  b.mutable_runtime()->set_loader_workers(3);
  b.mutable_runtime()->set_output_dir("/elsewhere");
  b.mutable_runtime()->set_checkpoint_every_epochs(10);
  EXPECT_EQ(ResultFingerprint(a), ResultFingerprint(b));
  EXPECT_NE(SpecFingerprint(a), SpecFingerprint(b));
  // What is observed on the way is part of the results (history.csv).
  proto::Experiment observed = b;
  observed.mutable_evaluation()->set_observe_every_epochs(10);
  EXPECT_NE(ResultFingerprint(observed), ResultFingerprint(b));
  b.mutable_runtime()->set_seed(1);
  EXPECT_NE(ResultFingerprint(a), ResultFingerprint(b));
}

TEST(SpecLoaderTest, RunsACodeChangeMovedGetAnotherFingerprintTheOthersKeepTheirs) {
  auto spec = [](const std::string& arch, const std::string& method) {
    proto::Experiment e;
    e.mutable_backbone()->set_architecture(arch);
    EXPECT_THAT(ApplyOverride(absl::StrCat("method.", method, "={}"), &e), IsOk());
    return e;
  };
  // Keyed as before any revision: the canonical text with what cannot change results
  // cleared, as ResultFingerprint's own comments list.
  auto unrevised = [](proto::Experiment e) {
    e.mutable_runtime()->set_seed(e.runtime().seed());
    e.mutable_runtime()->set_profile(e.runtime().profile());
    return SpecFingerprint(e);
  };
  // CAM anywhere, ADL on ResNet50, SPG on VGG16: no change moved them, and their cached
  // runs are still found.
  for (const proto::Experiment& e :
       {spec("preresnet18", "cam"), spec("resnet50", "adl"), spec("vgg16", "spg")}) {
    EXPECT_EQ(ResultsRevision(e), "");
    EXPECT_EQ(ResultFingerprint(e), unrevised(e));
  }
  // PreResNet-18's ADL and RDAP (the last drop after the final BN-ReLU) and SPG on the
  // ResNets (its classifier at the base rate) trained otherwise before: new fingerprints.
  for (const auto& [arch, method, revision] : std::vector<std::array<std::string, 3>>{
           {"preresnet18", "adl", "preresnet18-last-drop-post-activation"},
           {"preresnet18", "rdap", "preresnet18-last-drop-post-activation"},
           {"resnet50", "spg", "spg-classifier-base-rate"},
           {"preresnet18", "spg", "spg-classifier-base-rate"}}) {
    const proto::Experiment e = spec(arch, method);
    EXPECT_EQ(ResultsRevision(e), revision) << arch << " " << method;
    EXPECT_NE(ResultFingerprint(e), unrevised(e)) << arch << " " << method;
  }
}

TEST(SpecLoaderTest, ResultFingerprintKeysPretrainedWeightsByTheirContent) {
  const std::string dir = ::testing::TempDir();
  auto write = [](const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
  };
  write(dir + "/w1.pt", "weights one");
  write(dir + "/w1_copy.pt", "weights one");
  proto::Experiment a, b;
  a.mutable_backbone()->set_pretrained_path(dir + "/w1.pt");
  b.mutable_backbone()->set_pretrained_path(dir + "/w1_copy.pt");
  // The same bytes elsewhere: the same run.
  EXPECT_EQ(ResultFingerprint(a), ResultFingerprint(b));
  // Other bytes at the same path: another run.
  const std::string before = ResultFingerprint(a);
  write(dir + "/w1.pt", "weights two");
  EXPECT_NE(ResultFingerprint(a), before);
}

TEST(SpecLoaderTest, FingerprintChangesWithAnyField) {
  proto::Experiment a;
  proto::Experiment b;
  EXPECT_EQ(SpecFingerprint(a), SpecFingerprint(b));
  b.mutable_optimizer()->set_lr(0.02f);
  EXPECT_NE(SpecFingerprint(a), SpecFingerprint(b));
  EXPECT_EQ(SpecFingerprint(a).size(), 16u);
}

}  // namespace
}  // namespace wsol::spec
