// Golden-metric tests: tiny deterministic configurations (a few hundred FMNIST-Loc
// images, a narrow ResNet50, two epochs, one thread) whose test metrics must equal the
// recorded ones in paper_tables/goldens/<name>.pbtxt. The goldens are recorded runs of
// this very test, rewritten only by
//   bazel run //paper_tables:golden_metrics_test -- --update_goldens
// (tools/regenerate_goldens.sh), never edited by hand. A spec without a golden fails.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/trainer.h"

namespace wsol::tables {
namespace {

namespace fs = std::filesystem;

bool update_goldens = false;

// Each golden: a baseline spec plus the overrides that make it tiny.
struct GoldenCase {
  const char* name;
  const char* spec;
};
constexpr GoldenCase kCases[] = {
    {"cam", "baselines/specs/cam.pbtxt"},
    {"cam_er", "baselines/specs/cam_er.pbtxt"},
    {"cutmix_er", "baselines/specs/cutmix_er.pbtxt"},
};

const std::vector<std::string>& TinyOverrides() {
  static const auto* overrides = new std::vector<std::string>{
      "dataset.fmnist_loc.train_per_class=20", "dataset.fmnist_loc.val_per_class=4",
      "dataset.fmnist_loc.test_per_class=6",   "backbone.width_multiplier=0.125",
      "optimizer.epochs=2",                    "optimizer.batch_size=32",
      "runtime.threads=1",                     "runtime.device=cpu",
      "evaluation.cam_curve_interval=0.01"};
  return *overrides;
}

// Tolerance for a metric in percent: results are deterministic on one machine kind; the
// slack only absorbs last-bit differences of float summation order.
constexpr double kTolerance = 1e-6;

std::string GoldenPath(const std::string& name) {
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  const std::string root = update_goldens && workspace != nullptr ? workspace : ".";
  return root + "/paper_tables/goldens/" + name + ".pbtxt";
}

class GoldenMetricsTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenMetricsTest, TestMetricsMatchTheRecordedRun) {
  const GoldenCase& c = GetParam();
  absl::StatusOr<proto::Experiment> spec = spec::LoadExperimentFile(c.spec, TinyOverrides());
  ASSERT_TRUE(spec.ok()) << spec.status();
  const std::string dir = ::testing::TempDir() + "/golden_" + c.name;
  fs::remove_all(dir);
  spec->mutable_runtime()->set_output_dir(dir);
  train::TrainerOptions options;
  options.cache_dir = ::testing::TempDir() + "/golden_cache";
  options.progress = false;
  absl::StatusOr<proto::RunResults> results = train::RunExperiment(*spec, options);
  ASSERT_TRUE(results.ok()) << results.status();
  proto::SplitMetrics got = results->test();

  const std::string path = GoldenPath(c.name);
  if (update_goldens) {
    std::string text;
    google::protobuf::TextFormat::PrintToString(got, &text);
    std::ofstream out(path);
    out << "# Recorded by bazel run //paper_tables:golden_metrics_test -- --update_goldens\n"
        << "# from " << c.spec << " with the tiny overrides in golden_metrics_test.cc.\n"
        << text;
    ASSERT_TRUE(out.good()) << path;
    std::cerr << "wrote " << path << "\n";
    return;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << path << " is missing: record it with --update_goldens";
  std::stringstream buffer;
  buffer << in.rdbuf();
  proto::SplitMetrics want;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(buffer.str(), &want)) << path;
  EXPECT_EQ(got.images(), want.images());
  EXPECT_NEAR(got.top1_cls(), want.top1_cls(), kTolerance);
  EXPECT_NEAR(got.top1_loc(), want.top1_loc(), kTolerance);
  EXPECT_NEAR(got.gt_known_loc(), want.gt_known_loc(), kTolerance);
  EXPECT_NEAR(got.max_box_acc(), want.max_box_acc(), kTolerance);
  EXPECT_NEAR(got.max_box_acc_v2(), want.max_box_acc_v2(), kTolerance);
  EXPECT_NEAR(got.pxap(), want.pxap(), kTolerance);
  EXPECT_NEAR(got.mean_entropy(), want.mean_entropy(), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Recorded, GoldenMetricsTest, ::testing::ValuesIn(kCases),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           n.erase(std::remove(n.begin(), n.end(), '_'), n.end());
                           return n;
                         });

TEST(GoldenFilesTest, EveryGoldenHasACase) {
  // A golden without a case would never be checked.
  for (const auto& entry : fs::directory_iterator("paper_tables/goldens")) {
    const std::string stem = entry.path().stem().string();
    bool found = false;
    for (const GoldenCase& c : kCases) found |= stem == c.name;
    EXPECT_TRUE(found) << entry.path() << " has no case in golden_metrics_test.cc";
  }
}

}  // namespace
}  // namespace wsol::tables

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--update_goldens") == 0) wsol::tables::update_goldens = true;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
