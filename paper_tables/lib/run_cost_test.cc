#include "paper_tables/lib/run_cost.h"

#include "gtest/gtest.h"
#include "wsol/spec/spec_loader.h"

namespace wsol::tables {
namespace {

proto::Experiment EmbeddedCam() {
  absl::StatusOr<proto::Experiment> spec = spec::LoadExperimentFile("baselines/specs/cam.pbtxt");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *spec : proto::Experiment();
}

TEST(RunCostTest, TheEmbeddedRunCostsWhatItWasMeasuredToCost) {
  // Measured (2-core x86-64, one thread): an embedded CAM run took 69.6 s and left a
  // 5,774,694-byte checkpoint.pt and a 2,888,444-byte best_model.pt.
  const RunCost cost = EstimateRunCost(EmbeddedCam());
  EXPECT_NEAR(cost.cpu_seconds, 69.6, 3);
  EXPECT_NEAR(cost.disk_bytes, 5774694 + 2888444, 0.4e6);
  EXPECT_TRUE(cost.known_images);
}

TEST(RunCostTest, ScalesWithWidthPrecisionInputAndData) {
  const proto::Experiment base = EmbeddedCam();
  const RunCost one = EstimateRunCost(base);
  proto::Experiment wide = base;
  wide.mutable_backbone()->set_width_multiplier(0.5);
  EXPECT_NEAR(EstimateRunCost(wide).cpu_seconds / one.cpu_seconds, 4, 1e-9);
  EXPECT_NEAR(EstimateRunCost(wide).disk_bytes / one.disk_bytes, 4, 1e-9);
  proto::Experiment f64 = base;
  f64.mutable_runtime()->set_precision(proto::Runtime::FLOAT64);
  EXPECT_NEAR(EstimateRunCost(f64).disk_bytes / one.disk_bytes, 2, 1e-9);
  proto::Experiment longer = base;
  longer.mutable_optimizer()->set_epochs(160);
  EXPECT_GT(EstimateRunCost(longer).cpu_seconds, 1.9 * one.cpu_seconds);
  // A real data set by its published split sizes; an unknown one is said to be unknown.
  proto::Experiment cub = base;
  cub.mutable_dataset()->clear_fmnist_loc();
  cub.mutable_dataset()->set_name("CUB");
  EXPECT_TRUE(EstimateRunCost(cub).known_images);
  EXPECT_GT(EstimateRunCost(cub).cpu_seconds, 20 * one.cpu_seconds);
  cub.mutable_dataset()->set_name("MyData");
  EXPECT_FALSE(EstimateRunCost(cub).known_images);
}

TEST(RunCostTest, SummaryLine) {
  EXPECT_EQ(CostSummary(12, 18, {.cpu_seconds = 960, .disk_bytes = 101e6}),
            "12 to train, 18 cached, about 16 CPU-minutes and 101 MB");
  EXPECT_EQ(CostSummary(1, 0, {.cpu_seconds = 90, .disk_bytes = 8e6, .known_images = false}),
            "1 to train, 0 cached, about 1.5 CPU-minutes and 8 MB (some data sets' sizes "
            "unknown: not counted)");
}

}  // namespace
}  // namespace wsol::tables
