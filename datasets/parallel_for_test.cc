#include "datasets/parallel_for.h"

#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace wsol::datasets {
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

}  // namespace
}  // namespace wsol::datasets
