// Runs a fixed number of training steps (forward, CE + lambda * KL(u||p), backward, SGD)
// on one fixed random batch and prints images/s: the C++ side of the whole-process speed
// comparison with tools/bench/python_train_step.py (same model, loss, optimizer, batch and
// thread count; README, "Speed"). For per-step timings use train_step_benchmark.
//   bazel run //wsol/train:train_step_cli -- --pixels=224 --width=1 --batch=16 --steps=5
#include <ATen/Parallel.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "absl/flags/flag.h"
#include "wsol/backbones/backbone_registry.h"
#include "wsol/methods/cam_method.h"
#include "wsol/regularizers/entropy_kl_uniform.h"
#include "wsol/train/train_step.h"
#include "wsol/train/training_state.h"
#include "wsol/util/command_line.h"

ABSL_FLAG(std::string, backbone, "resnet50", "Backbone registry name.");
ABSL_FLAG(int64_t, pixels, 64, "Input height and width.");
ABSL_FLAG(double, width, 0.25, "Width multiplier.");
ABSL_FLAG(int64_t, batch, 32, "Batch size.");
ABSL_FLAG(int64_t, num_classes, 10, "Classes.");
ABSL_FLAG(double, lambda, 1e-4, "Weight of KL(u||p) (the paper's ER).");
ABSL_FLAG(int, threads, 2, "Intra-op threads.");
ABSL_FLAG(int, warmup, 2, "Untimed steps first.");
ABSL_FLAG(int, steps, 20, "Timed steps.");
ABSL_FLAG(int, seed, 0, "Weights and batch seed.");

int main(int argc, char** argv) {
  wsol::ParseCommandLineOrExit(
      argc, argv,
      "Times training steps of a backbone with the CAM method and ER loss on a fixed batch.\n"
      "  train_step_cli --backbone=resnet50 --pixels=64 --width=0.25 --batch=32 --threads=2");
  const int64_t batch = absl::GetFlag(FLAGS_batch);
  const int64_t pixels = absl::GetFlag(FLAGS_pixels);
  const int64_t classes = absl::GetFlag(FLAGS_num_classes);
  const int steps = absl::GetFlag(FLAGS_steps);
  if (batch < 1 || pixels < 1 || classes < 2 || steps < 1 || absl::GetFlag(FLAGS_warmup) < 0 ||
      absl::GetFlag(FLAGS_threads) < 1) {
    std::fprintf(stderr,
                 "train_step_cli: --batch, --pixels, --steps, --threads must be >= 1, "
                 "--num_classes >= 2, --warmup >= 0\n");
    return 2;
  }
  try {
    at::set_num_threads(absl::GetFlag(FLAGS_threads));
    torch::manual_seed(absl::GetFlag(FLAGS_seed));
    wsol::train::WsolModel model(
        wsol::backbones::CreateBackbone(
            absl::GetFlag(FLAGS_backbone),
            {.num_classes = classes, .width_multiplier = absl::GetFlag(FLAGS_width)}),
        std::make_shared<wsol::methods::CamMethod>(), classes);
    model.train();
    auto sgd = wsol::train::MakeSgd(model, {});
    const wsol::regularizers::EntropyKlUniform er({.lambda = absl::GetFlag(FLAGS_lambda)});
    const torch::Tensor images = torch::randn({batch, 3, pixels, pixels});
    const torch::Tensor targets =
        torch::one_hot(torch::randint(classes, {batch}), classes).to(torch::kFloat);
    std::mt19937_64 rng(absl::GetFlag(FLAGS_seed));
    double loss = 0;
    auto step = [&] { loss = wsol::train::TrainStep(model, *sgd, er, images, targets, rng).loss; };
    for (int i = 0; i < absl::GetFlag(FLAGS_warmup); ++i) step();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) step();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    int64_t parameters = 0;
    for (const torch::Tensor& p : model.parameters()) parameters += p.numel();
    std::printf("%s %lld px width %g batch %lld threads %d: %lld parameters, loss %.4f\n",
                absl::GetFlag(FLAGS_backbone).c_str(), static_cast<long long>(pixels),
                absl::GetFlag(FLAGS_width), static_cast<long long>(batch), at::get_num_threads(),
                static_cast<long long>(parameters), loss);
    std::printf("images/s %.2f (%d steps after %d warm-up)\n", steps * batch / seconds, steps,
                absl::GetFlag(FLAGS_warmup));
  } catch (const c10::Error& e) {
    // LibTorch's own message, without the C++ stack trace of what() (an unknown
    // --backbone is a user's typo, not a crash).
    std::fprintf(stderr, "train_step_cli: %s\n", e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_step_cli: %s\n", e.what());
    return 1;
  }
  return 0;
}
