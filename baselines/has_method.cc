#include "baselines/has_method.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <vector>

namespace wsol::baselines {

at::Tensor HasCellMask(int64_t batch, int64_t rows, int64_t cols, double drop_rate,
                       std::mt19937_64& rng) {
  TORCH_CHECK_VALUE(drop_rate >= 0.0 && drop_rate <= 1.0, "HaS drop_rate must be in [0, 1], got ",
                    drop_rate);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  at::Tensor cells = at::zeros({batch, rows, cols}, at::kBool);
  auto access = cells.accessor<bool, 3>();
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) access[b][r][c] = uniform(rng) < drop_rate;
    }
  }
  return cells;
}

at::Tensor HideCells(const at::Tensor& images, const at::Tensor& cells, int64_t grid_size,
                     double fill) {
  TORCH_CHECK_VALUE(images.dim() == 4, "images must be [B, C, H, W], got ", images.sizes());
  TORCH_CHECK_VALUE(grid_size > 0, "HaS grid_size must be > 0, got ", grid_size);
  const int64_t height = images.size(2), width = images.size(3);
  const int64_t rows = (height + grid_size - 1) / grid_size;
  const int64_t cols = (width + grid_size - 1) / grid_size;
  TORCH_CHECK_VALUE(cells.dim() == 3 && cells.size(0) == images.size(0) && cells.size(1) == rows &&
                        cells.size(2) == cols,
                    "cells must be [", images.size(0), ", ", rows, ", ", cols, "], got ",
                    cells.sizes());
  // Cell mask -> pixel mask: repeat each cell grid_size times, crop the overhang.
  at::Tensor pixels = cells.to(images.device())
                          .repeat_interleave(grid_size, 1)
                          .repeat_interleave(grid_size, 2)
                          .slice(1, 0, height)
                          .slice(2, 0, width)
                          .unsqueeze(1);
  return images.masked_fill(pixels, fill);
}

at::Tensor HideAndSeek(const at::Tensor& images, int64_t grid_size, double drop_rate,
                       std::mt19937_64& rng) {
  TORCH_CHECK_VALUE(grid_size > 0, "HaS grid_size must be > 0, got ", grid_size);
  const int64_t rows = (images.size(2) + grid_size - 1) / grid_size;
  const int64_t cols = (images.size(3) + grid_size - 1) / grid_size;
  return HideCells(images, HasCellMask(images.size(0), rows, cols, drop_rate, rng), grid_size);
}

HasMethod::HasMethod(int64_t grid_size, double drop_rate)
    : grid_size_(grid_size), drop_rate_(drop_rate) {
  TORCH_CHECK_VALUE(grid_size > 0, "HaS grid_size must be > 0, got ", grid_size);
  TORCH_CHECK_VALUE(drop_rate >= 0.0 && drop_rate <= 1.0, "HaS drop_rate must be in [0, 1], got ",
                    drop_rate);
}

methods::StepOutput HasMethod::TrainingStep(backbones::Backbone& backbone, const at::Tensor& images,
                                            const at::Tensor& targets,
                                            const regularizers::Regularizer& regularizer,
                                            std::mt19937_64& rng) {
  const at::Tensor input =
      is_training() ? HideAndSeek(images, grid_size_, drop_rate_, rng) : images;
  return methods::Method::TrainingStep(backbone, input, targets, regularizer, rng);
}

}  // namespace wsol::baselines
