#include "wsol/spec/compose.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wsol/util/status_matchers.h"

namespace wsol::spec {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::wsol::testing::IsOk;

class ComposeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = ::testing::TempDir() + "/compose_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  // Writes `text` to <root>/<name> and returns the name (workspace-relative).
  std::string Write(const std::string& name, const std::string& text) {
    fs::create_directories(fs::path(root_ / fs::path(name)).parent_path());
    std::ofstream(root_ / fs::path(name)) << text;
    return name;
  }
  absl::StatusOr<ComposedExperiment> Compose(const std::vector<std::string>& fragments,
                                             const std::vector<Assignment>& assignments = {}) {
    std::vector<std::string> full;
    for (const std::string& f : fragments) full.push_back((root_ / fs::path(f)).string());
    return ComposeExperiment(full, assignments, root_.string());
  }
  fs::path root_;
};

TEST_F(ComposeTest, FragmentsMergeInOrderAndEachFieldNamesItsSource) {
  Write("data.pbtxt", "dataset { name: \"CUB\" num_classes: 200 }");
  Write("recipe.pbtxt", "optimizer { lr: 0.01 epochs: 5 }");
  absl::StatusOr<ComposedExperiment> spec = Compose({"data.pbtxt", "recipe.pbtxt"});
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->experiment.dataset().num_classes(), 200);
  EXPECT_EQ(spec->experiment.optimizer().epochs(), 5);
  EXPECT_THAT(spec->sources, ::testing::Contains(Pair("optimizer.lr", "recipe.pbtxt")));
  EXPECT_THAT(spec->sources, ::testing::Contains(Pair("dataset.name", "data.pbtxt")));
  EXPECT_THAT(DescribeSources(*spec), HasSubstr("optimizer.lr: 0.01  # recipe.pbtxt\n"));
}

TEST_F(ComposeTest, ADifferentValueForTheSameFieldIsAnErrorNamingBothFiles) {
  Write("a.pbtxt", "optimizer { lr: 0.01 }");
  Write("b.pbtxt", "optimizer { lr: 0.02 }");
  absl::StatusOr<ComposedExperiment> spec = Compose({"a.pbtxt", "b.pbtxt"});
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(),
              AllOf(HasSubstr("b.pbtxt: sets optimizer.lr = 0.02"), HasSubstr("a.pbtxt set"),
                    HasSubstr("overrides: \"optimizer.lr\"")));
  // The same value twice is no clash.
  Write("c.pbtxt", "optimizer { lr: 0.01 }");
  EXPECT_THAT(Compose({"a.pbtxt", "c.pbtxt"}), IsOk());
}

TEST_F(ComposeTest, AFragmentThatSaysItOverridesReplacesTheValue) {
  Write("a.pbtxt", "optimizer { lr: 0.01 epochs: 5 }");
  Write("b.pbtxt", "overrides: \"optimizer.lr\" optimizer { lr: 0.02 }");
  absl::StatusOr<ComposedExperiment> spec = Compose({"a.pbtxt", "b.pbtxt"});
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->experiment.optimizer().lr(), 0.02f);
  EXPECT_EQ(spec->experiment.optimizer().epochs(), 5);
  EXPECT_EQ(spec->sources.at("optimizer.lr"), "b.pbtxt");
  EXPECT_EQ(spec->experiment.overrides_size(), 0);
}

TEST_F(ComposeTest, AnotherOneofMemberIsAClashUnlessTheMessageIsOverridden) {
  Write("none.pbtxt", "regularizer { none {} }");
  Write("er.pbtxt", "regularizer { entropy_kl_uniform { lambda: 1e-4 } }");
  Write("er_over.pbtxt",
        "overrides: \"regularizer\" regularizer { entropy_kl_uniform { lambda: 1e-4 } }");
  absl::StatusOr<ComposedExperiment> clash = Compose({"none.pbtxt", "er.pbtxt"});
  ASSERT_FALSE(clash.ok());
  EXPECT_THAT(clash.status().message(), HasSubstr("regularizer.none"));
  absl::StatusOr<ComposedExperiment> spec = Compose({"none.pbtxt", "er_over.pbtxt"});
  ASSERT_THAT(spec, IsOk());
  EXPECT_TRUE(spec->experiment.regularizer().has_entropy_kl_uniform());
  EXPECT_EQ(spec->sources.count("regularizer.none"), 0u);
}

TEST_F(ComposeTest, AListIsReplacedNotAppended) {
  Write("a.pbtxt", "evaluation { iou_thresholds: [30, 50, 70] }");
  Write("b.pbtxt", "evaluation { iou_thresholds: [50] }");
  Write("c.pbtxt", "overrides: \"evaluation.iou_thresholds\" evaluation { iou_thresholds: [50] }");
  EXPECT_FALSE(Compose({"a.pbtxt", "b.pbtxt"}).ok());
  absl::StatusOr<ComposedExperiment> spec = Compose({"a.pbtxt", "c.pbtxt"});
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->experiment.evaluation().iou_thresholds_size(), 1);
}

TEST_F(ComposeTest, BasesMergeFirstAndTheirErrorsNameTheFile) {
  Write("specs/data.pbtxt", "dataset { name: \"CUB\" }");
  Write("run.pbtxt", "base: \"specs/data.pbtxt\" name: \"run\"");
  absl::StatusOr<ComposedExperiment> spec = Compose({"run.pbtxt"});
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->experiment.dataset().name(), "CUB");
  EXPECT_EQ(spec->experiment.base_size(), 0);
  EXPECT_EQ(spec->sources.at("dataset.name"), "specs/data.pbtxt");

  Write("missing.pbtxt", "base: \"specs/nope.pbtxt\"");
  absl::StatusOr<ComposedExperiment> missing = Compose({"missing.pbtxt"});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(),
              AllOf(HasSubstr("missing.pbtxt: base \"specs/nope.pbtxt\""),
                    HasSubstr("relative to the workspace root")));

  Write("loop_a.pbtxt", "base: \"loop_b.pbtxt\"");
  Write("loop_b.pbtxt", "base: \"loop_a.pbtxt\"");
  absl::StatusOr<ComposedExperiment> loop = Compose({"loop_a.pbtxt"});
  ASSERT_FALSE(loop.ok());
  EXPECT_THAT(loop.status().message(), HasSubstr("base cycle"));

  Write("typo.pbtxt", "overrides: \"optimizer.learning_rate\"");
  absl::StatusOr<ComposedExperiment> typo = Compose({"typo.pbtxt"});
  ASSERT_FALSE(typo.ok());
  EXPECT_THAT(typo.status().message(), HasSubstr("no such field (\"learning_rate\")"));

  Write("bad.pbtxt", "optimizer { lr: }");
  absl::StatusOr<ComposedExperiment> bad = Compose({"run.pbtxt", "bad.pbtxt"});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("bad.pbtxt:1:"));
}

TEST_F(ComposeTest, AssignmentsWinAndNameTheirSource) {
  Write("a.pbtxt", "optimizer { lr: 0.01 } regularizer { none {} }");
  absl::StatusOr<ComposedExperiment> spec = Compose(
      {"a.pbtxt"},
      {{"optimizer.lr=0.5", "--set"}, {"regularizer.kl_p_u={ lambda: 1e-3 }", "table set"}});
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->experiment.optimizer().lr(), 0.5f);
  EXPECT_TRUE(spec->experiment.regularizer().has_kl_p_u());
  EXPECT_EQ(spec->sources.at("optimizer.lr"), "--set");
  EXPECT_EQ(spec->sources.at("regularizer.kl_p_u"), "table set");
  EXPECT_EQ(spec->sources.count("regularizer.none"), 0u);
  EXPECT_THAT(DescribeSources(*spec), HasSubstr("regularizer.kl_p_u.lambda: 0.001  # table set"));
}

}  // namespace
}  // namespace wsol::spec
