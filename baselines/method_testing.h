// method_testing.h (testonly)
//
// Small fixtures for the method tests: a narrow backbone, a tiny fixed batch of random
// images, and a few SGD steps of a method on it.
//
//   auto net = TinyBackbone("resnet50");
//   TinyBatch batch = MakeTinyBatch();
//   std::vector<double> losses = TrainSteps(*method, *net, batch, *regularizer, 10);
#ifndef BASELINES_METHOD_TESTING_H_
#define BASELINES_METHOD_TESTING_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wsol/backbones/backbone.h"
#include "wsol/methods/method.h"
#include "wsol/regularizers/regularizer.h"

namespace wsol::baselines::testing {

inline constexpr int64_t kTinyClasses = 4;

// CreateBackbone(architecture) at width 1/8 with kTinyClasses classes, seeded.
std::shared_ptr<backbones::Backbone> TinyBackbone(const std::string& architecture = "resnet50",
                                                  uint64_t seed = 0);

struct TinyBatch {
  at::Tensor images;   // [B, 3, size, size] standard normal
  at::Tensor labels;   // [B] int64, b % kTinyClasses
  at::Tensor targets;  // [B, kTinyClasses] one-hot float
};
TinyBatch MakeTinyBatch(int64_t batch = 8, int64_t size = 64, uint64_t seed = 1);

// `steps` SGD steps (momentum 0.9) over the backbone's and the method's parameters, in
// training mode; every step draws from a fresh std::mt19937_64(rng_seed), so randomized
// methods see the same augmentation each step. Returns each step's total loss.
std::vector<double> TrainSteps(methods::Method& method, backbones::Backbone& backbone,
                               const TinyBatch& batch, const regularizers::Regularizer& regularizer,
                               int steps, double lr = 0.01, uint64_t rng_seed = 5);

}  // namespace wsol::baselines::testing

#endif  // BASELINES_METHOD_TESTING_H_
