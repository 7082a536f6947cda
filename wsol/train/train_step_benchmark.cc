// Images per second of one training step (forward, backward, SGD) and one inference
// step with CAM, per backbone, at the embedded size (64 px, width 0.25) and the paper
// size (224 px, width 1). Run by hand:
//   bazel run -c opt //wsol/train:train_step_benchmark -- --benchmark_filter=embedded
#include <ATen/Parallel.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>

#include <string>

#include "benchmark/benchmark.h"
#include "wsol/backbones/backbone_registry.h"
#include "wsol/cam/cam.h"
#include "wsol/methods/cam_method.h"
#include "wsol/regularizers/entropy_kl_uniform.h"
#include "wsol/train/train_step.h"
#include "wsol/train/training_state.h"

namespace wsol::train {
namespace {

struct Size {
  const char* name;
  int64_t pixels;
  double width;
  int64_t batch;
};
constexpr Size kSizes[] = {{"embedded", 64, 0.25, 32}, {"paper", 224, 1.0, 16}};

void BM_TrainStep(benchmark::State& state, std::string backbone, Size size) {
  at::set_num_threads(static_cast<int>(state.range(0)));
  torch::manual_seed(0);
  WsolModel model(
      backbones::CreateBackbone(backbone, {.num_classes = 10, .width_multiplier = size.width}),
      std::make_shared<methods::CamMethod>(), 10);
  model.train();
  auto sgd = MakeSgd(model, {});
  const regularizers::EntropyKlUniform er({.lambda = 1e-4});
  torch::Tensor images = torch::randn({size.batch, 3, size.pixels, size.pixels});
  torch::Tensor targets = torch::one_hot(torch::randint(10, {size.batch}), 10).to(torch::kFloat);
  std::mt19937_64 rng(0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(TrainStep(model, *sgd, er, images, targets, rng).loss);
  }
  state.counters["images/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * size.batch), benchmark::Counter::kIsRate);
}

void BM_InferWithCam(benchmark::State& state, std::string backbone, Size size) {
  at::set_num_threads(static_cast<int>(state.range(0)));
  torch::NoGradGuard no_grad;
  WsolModel model(
      backbones::CreateBackbone(backbone, {.num_classes = 10, .width_multiplier = size.width}),
      std::make_shared<methods::CamMethod>(), 10);
  model.eval();
  torch::Tensor images = torch::randn({size.batch, 3, size.pixels, size.pixels});
  torch::Tensor classes = torch::randint(10, {size.batch});
  for (auto _ : state) {
    auto inference = model.method().Infer(model.backbone(), images, classes);
    benchmark::DoNotOptimize(cam::ResizeAndNormalize(inference.cams, size.pixels, size.pixels));
  }
  state.counters["images/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * size.batch), benchmark::Counter::kIsRate);
}

int Register() {
  for (const std::string& name : backbones::BackboneNames()) {
    for (const Size& size : kSizes) {
      benchmark::RegisterBenchmark(("BM_TrainStep/" + name + "/" + size.name).c_str(), BM_TrainStep,
                                   name, size)
          ->Arg(2)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("BM_InferWithCam/" + name + "/" + size.name).c_str(),
                                   BM_InferWithCam, name, size)
          ->Arg(2)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  return 0;
}
const int kRegistered = Register();

}  // namespace
}  // namespace wsol::train

BENCHMARK_MAIN();
