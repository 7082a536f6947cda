// has_method.h
//
// HaS, Hide-and-Seek (Singh & Lee, ICCV 2017), as wsolevaluation's wsol/method/has.py:
// every training image is cut into a grid of grid_size x grid_size pixel cells (the last
// row / column may be narrower) and each cell is hidden independently with probability
// drop_rate. Hidden pixels take the dataset mean; our images are normalized by the
// dataset mean and standard deviation, so the mean is 0 there (wsolevaluation writes 0
// into its normalized tensor too). Evaluation sees the whole image.
//
//   at::Tensor cells = HasCellMask(/*batch=*/8, /*rows=*/16, /*cols=*/16, 0.5, rng);
//   at::Tensor hidden = HideCells(images, cells, /*grid_size=*/4);
// Modelling core: LibTorch and the standard library only.
#ifndef BASELINES_HAS_METHOD_H_
#define BASELINES_HAS_METHOD_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <random>
#include <string>

#include "wsol/methods/method.h"

namespace wsol::baselines {

// Which cells to hide: bool [batch, rows, cols]. One uniform draw u in [0, 1) per cell,
// in the order image, row, column; the cell is hidden when u < drop_rate.
at::Tensor HasCellMask(int64_t batch, int64_t rows, int64_t cols, double drop_rate,
                       std::mt19937_64& rng);

// images [B, C, H, W] with every pixel of each hidden cell (cells [B, ceil(H/g), ceil(W/g)])
// set to `fill` (0 = the dataset mean in normalized space). Returns a new tensor.
at::Tensor HideCells(const at::Tensor& images, const at::Tensor& cells, int64_t grid_size,
                     double fill = 0.0);

// HasCellMask then HideCells with the image's grid.
at::Tensor HideAndSeek(const at::Tensor& images, int64_t grid_size, double drop_rate,
                       std::mt19937_64& rng);

class HasMethod : public methods::Method {
 public:
  HasMethod(int64_t grid_size, double drop_rate);
  std::string Name() const override { return "has"; }
  // Hides cells of each image (training mode only), then the plain classifier's loss.
  methods::StepOutput TrainingStep(backbones::Backbone& backbone, const at::Tensor& images,
                                   const at::Tensor& targets,
                                   const regularizers::Regularizer& regularizer,
                                   std::mt19937_64& rng) override;

 private:
  int64_t grid_size_;
  double drop_rate_;
};

}  // namespace wsol::baselines

#endif  // BASELINES_HAS_METHOD_H_
