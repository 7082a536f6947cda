#include "baselines/method_testing.h"

#include <torch/optim/sgd.h>
#include <torch/types.h>

#include <random>

#include "wsol/backbones/backbone_registry.h"

namespace wsol::baselines::testing {

std::shared_ptr<backbones::Backbone> TinyBackbone(const std::string& architecture, uint64_t seed) {
  torch::manual_seed(seed);
  return backbones::CreateBackbone(architecture,
                                   {.num_classes = kTinyClasses, .width_multiplier = 0.125});
}

TinyBatch MakeTinyBatch(int64_t batch, int64_t size, uint64_t seed) {
  torch::manual_seed(seed);
  TinyBatch out;
  out.images = torch::randn({batch, 3, size, size});
  out.labels = torch::arange(batch, torch::kLong).remainder(kTinyClasses);
  out.targets = torch::one_hot(out.labels, kTinyClasses).to(torch::kFloat);
  return out;
}

std::vector<double> TrainSteps(methods::Method& method, backbones::Backbone& backbone,
                               const TinyBatch& batch, const regularizers::Regularizer& regularizer,
                               int steps, double lr, uint64_t rng_seed) {
  std::vector<torch::Tensor> params = backbone.parameters();
  for (const torch::Tensor& p : method.parameters()) params.push_back(p);
  torch::optim::SGD sgd(params, torch::optim::SGDOptions(lr).momentum(0.9));
  backbone.train();
  method.train();
  std::vector<double> losses;
  for (int i = 0; i < steps; ++i) {
    std::mt19937_64 rng(rng_seed);
    sgd.zero_grad();
    methods::StepOutput out =
        method.TrainingStep(backbone, batch.images, batch.targets, regularizer, rng);
    out.loss.total.backward();
    sgd.step();
    losses.push_back(out.loss.total.item<double>());
  }
  return losses;
}

}  // namespace wsol::baselines::testing
