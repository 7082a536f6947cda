// Every embedded-profile baseline spec passes the trainer's --validate_only check, and
// each method trains on FMNIST-Loc for one tiny epoch (a few steps) inside the test,
// reaching test evaluation with finite, in-range metrics.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "tools/components.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/trainer.h"

namespace wsol::baselines {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> EmbeddedSpecs() {
  std::vector<std::string> specs;
  for (const auto& entry : fs::directory_iterator("baselines/specs")) {
    if (entry.path().extension() == ".pbtxt") specs.push_back(entry.path().stem().string());
  }
  std::sort(specs.begin(), specs.end());
  return specs;
}

class EmbeddedSpecTest : public ::testing::TestWithParam<std::string> {};

TEST_P(EmbeddedSpecTest, ValidatesAndTrainsAFewStepsOnFmnistLoc) {
  const std::string path = "baselines/specs/" + GetParam() + ".pbtxt";
  // The tiny data set shared by every case: 3 training images per class.
  const std::vector<std::string> tiny = {"dataset.fmnist_loc.train_per_class=3",
                                         "dataset.fmnist_loc.val_per_class=1",
                                         "dataset.fmnist_loc.test_per_class=1",
                                         "optimizer.epochs=1",
                                         "optimizer.batch_size=10",
                                         "runtime.threads=1"};
  absl::StatusOr<proto::Experiment> spec =
      spec::LoadExperimentFile(path, tiny, tools::StandardValidators());
  ASSERT_TRUE(spec.ok()) << spec.status();
  train::TrainerOptions options;
  options.components = tools::StandardComponents();
  options.cache_dir = ::testing::TempDir() + "/cache";
  options.progress = false;
  options.validate_only = true;
  absl::Status valid = train::RunExperiment(*spec, options).status();
  ASSERT_TRUE(valid.ok()) << path << ": " << valid;

  options.validate_only = false;
  spec->mutable_runtime()->set_output_dir(::testing::TempDir() + "/" + GetParam());
  absl::StatusOr<proto::RunResults> results = train::RunExperiment(*spec, options);
  ASSERT_TRUE(results.ok()) << path << ": " << results.status();
  ASSERT_EQ(results->history_size(), 1);
  EXPECT_TRUE(std::isfinite(results->history(0).train_loss()));
  EXPECT_EQ(results->test().images(), 10);
  EXPECT_GE(results->test().max_box_acc_v2(), 0.0);
  EXPECT_LE(results->test().max_box_acc_v2(), 100.0);
  EXPECT_GE(results->test().pxap(), 0.0);
  EXPECT_LE(results->test().pxap(), 100.0);
}

INSTANTIATE_TEST_SUITE_P(AllEmbeddedSpecs, EmbeddedSpecTest, ::testing::ValuesIn(EmbeddedSpecs()),
                         [](const auto& info) {
                           std::string n = info.param;
                           n.erase(std::remove(n.begin(), n.end(), '_'), n.end());
                           return n;
                         });

}  // namespace
}  // namespace wsol::baselines
