#include "wsol/util/parallel_for.h"

#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace wsol {
namespace {

TEST(ParallelForTest, RunsEveryIndexOnce) {
  std::vector<std::atomic<int>> runs(1000);
  ASSERT_TRUE(ParallelFor(1000, 4, [&](int64_t i) {
                ++runs[i];
                return absl::OkStatus();
              }).ok());
  for (const auto& r : runs) EXPECT_EQ(r.load(), 1);
}

TEST(ParallelForTest, ReturnsTheErrorOfTheSmallestFailingIndex) {
  for (int threads : {1, 2, 8}) {
    absl::Status status = ParallelFor(500, threads, [](int64_t i) {
      if (i % 100 == 37) return absl::InvalidArgumentError(std::to_string(i));
      return absl::OkStatus();
    });
    EXPECT_EQ(status.message(), "37") << threads << " threads";
  }
}

TEST(ParallelForTest, EmptyRangeIsOk) {
  EXPECT_TRUE(ParallelFor(0, 4, [](int64_t) { return absl::InternalError("never"); }).ok());
}

// Each index runs on a worker in [0, WorkerCount), so per-worker state needs no lock.
TEST(ParallelForTest, WorkersAreNumberedBelowWorkerCount) {
  EXPECT_EQ(WorkerCount(0, 4), 1);
  EXPECT_EQ(WorkerCount(3, 8), 3);
  std::vector<int64_t> per_worker(WorkerCount(1000, 3), 0);
  ASSERT_TRUE(ParallelForWorkers(1000, 3, [&](int worker, int64_t i) {
                per_worker.at(worker) += i;
                return absl::OkStatus();
              }).ok());
  int64_t total = 0;
  for (int64_t v : per_worker) total += v;
  EXPECT_EQ(total, 999 * 1000 / 2);
}

}  // namespace
}  // namespace wsol
