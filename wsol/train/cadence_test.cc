#include "wsol/train/cadence.h"

#include <vector>

#include "gtest/gtest.h"

namespace wsol::train {
namespace {

std::vector<int> Picked(int every, int epochs) {
  std::vector<int> picked;  // 1-based, as history.csv numbers epochs.
  for (int epoch = 0; epoch < epochs; ++epoch) {
    if (OnCadence(epoch, every, epochs)) picked.push_back(epoch + 1);
  }
  return picked;
}

TEST(CadenceTest, EveryKthEpochAndTheLast) {
  EXPECT_EQ(Picked(1, 3), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(Picked(2, 5), (std::vector<int>{2, 4, 5}));
  EXPECT_EQ(Picked(10, 80), (std::vector<int>{10, 20, 30, 40, 50, 60, 70, 80}));
  EXPECT_EQ(Picked(6, 6), (std::vector<int>{6}));
  EXPECT_EQ(Picked(100, 6), (std::vector<int>{6}));
}

TEST(CadenceTest, CountsWhatItPicks) {
  EXPECT_EQ(EpochsOnCadence(1, 3), 3);
  EXPECT_EQ(EpochsOnCadence(2, 5), 3);
  EXPECT_EQ(EpochsOnCadence(10, 80), 8);
  EXPECT_EQ(EpochsOnCadence(10, 81), 9);
  EXPECT_EQ(EpochsOnCadence(100, 6), 1);
}

}  // namespace
}  // namespace wsol::train
