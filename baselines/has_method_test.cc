// HaS hides exactly the cells its seeded draws choose, with the mean (0 in normalized
// space), and leaves evaluation untouched.
#include "baselines/has_method.h"

#include <torch/types.h>

#include <random>

#include "baselines/method_testing.h"
#include "gtest/gtest.h"
#include "wsol/regularizers/entropy_kl_uniform.h"
#include "wsol/regularizers/no_regularizer.h"

namespace wsol::baselines {
namespace {

// Images with no zero pixel, so a 0 can only come from hiding.
torch::Tensor NonZeroImages(int64_t b, int64_t h, int64_t w) {
  torch::manual_seed(2);
  return torch::rand({b, 3, h, w}) + 0.5;
}

TEST(HasCellMaskTest, FollowsTheDocumentedDrawOrder) {
  std::mt19937_64 rng(7);
  const torch::Tensor cells = HasCellMask(2, 3, 4, 0.5, rng);
  std::mt19937_64 replay(7);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t r = 0; r < 3; ++r) {
      for (int64_t c = 0; c < 4; ++c) {
        EXPECT_EQ(cells[b][r][c].item<bool>(), uniform(replay) < 0.5) << b << r << c;
      }
    }
  }
}

TEST(HideCellsTest, HidesExactlyTheChosenCellsIncludingPartialOnes) {
  // 10 x 9 pixels, grid 4: rows of cells cover pixel rows {0-3, 4-7, 8-9}, columns
  // {0-3, 4-7, 8}.
  const torch::Tensor images = NonZeroImages(2, 10, 9);
  torch::Tensor cells = torch::zeros({2, 3, 3}, torch::kBool);
  cells[0][0][0] = true;  // a full cell
  cells[0][2][2] = true;  // the 2 x 1 corner cell
  cells[1][1][2] = true;  // a 4 x 1 edge cell
  const torch::Tensor hidden = HideCells(images, cells, 4);
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t y = 0; y < 10; ++y) {
      for (int64_t x = 0; x < 9; ++x) {
        const bool in_hidden_cell = cells[b][y / 4][x / 4].item<bool>();
        for (int64_t ch = 0; ch < 3; ++ch) {
          const float value = hidden[b][ch][y][x].item<float>();
          if (in_hidden_cell) {
            EXPECT_EQ(value, 0.0f) << b << " " << y << " " << x;
          } else {
            EXPECT_EQ(value, images[b][ch][y][x].item<float>()) << b << " " << y << " " << x;
          }
        }
      }
    }
  }
  // 16 + 2 pixels of image 0 and 4 of image 1, times 3 channels.
  EXPECT_EQ((hidden == 0).sum().item<int64_t>(), (16 + 2 + 4) * 3);
}

TEST(HideAndSeekTest, SeededRunHidesTheReplayedCells) {
  const torch::Tensor images = NonZeroImages(3, 16, 16);
  std::mt19937_64 rng(11);
  const torch::Tensor hidden = HideAndSeek(images, 4, 0.5, rng);
  std::mt19937_64 replay(11);
  const torch::Tensor cells = HasCellMask(3, 4, 4, 0.5, replay);
  EXPECT_TRUE(torch::equal(hidden, HideCells(images, cells, 4)));
  // Roughly half of the 48 cells: a seeded draw, so a loose sanity band.
  const int64_t hidden_cells = cells.sum().item<int64_t>();
  EXPECT_GT(hidden_cells, 10);
  EXPECT_LT(hidden_cells, 38);
  EXPECT_EQ((hidden == 0).sum().item<int64_t>(), hidden_cells * 16 * 3);
}

TEST(HideAndSeekTest, DropRateZeroKeepsAndOneHidesEverything) {
  const torch::Tensor images = NonZeroImages(2, 8, 8);
  std::mt19937_64 rng(1);
  EXPECT_TRUE(torch::equal(HideAndSeek(images, 3, 0.0, rng), images));
  EXPECT_EQ(HideAndSeek(images, 3, 1.0, rng).abs().sum().item<float>(), 0.0f);
}

TEST(HasMethodTest, EvalModeSeesTheWholeImageAndTrainingHides) {
  auto net = testing::TinyBackbone();
  net->eval();  // deterministic BatchNorm for the comparison
  const testing::TinyBatch batch = testing::MakeTinyBatch(2, 32);
  auto none = std::make_unique<regularizers::NoRegularizer>();
  torch::NoGradGuard no_grad;
  const torch::Tensor plain = net->Forward(batch.images).logits;
  const torch::Tensor blank = net->Forward(torch::zeros_like(batch.images)).logits;

  HasMethod has(/*grid_size=*/8, /*drop_rate=*/1.0);
  std::mt19937_64 rng(3);
  has.eval();
  EXPECT_TRUE(torch::allclose(
      has.TrainingStep(*net, batch.images, batch.targets, *none, rng).logits, plain));
  has.train();
  EXPECT_TRUE(torch::allclose(
      has.TrainingStep(*net, batch.images, batch.targets, *none, rng).logits, blank));
}

}  // namespace
}  // namespace wsol::baselines
