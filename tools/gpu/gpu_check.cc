// gpu_check: checks the modelling core on a CUDA machine and times it there.
//
// For each backbone in the registry (at the chosen widths) it builds the model on the CPU,
// copies the same weights to CUDA, runs one training step (forward, CAM with the ER loss,
// backward: wsol::train::ComputeGradients) on the same batch on both devices and reports
//   loss error  |loss_cuda - loss_cpu| / |loss_cpu|
//   grad error  max over parameters of ||g_cuda - g_cpu|| / ||g_cpu||
// (a parameter whose CPU gradient is below 1e-6 of the largest one is measured against
// that floor instead, so an analytically-zero gradient cannot divide by noise). Then it
// times training steps (with SGD) and inference with CAM on CUDA and prints images/s.
// Exits 1 when an error exceeds --tolerance, 2 on bad flags or a missing GPU.
//
// Built without Bazel by tools/gpu/build_core.sh (plain argv parsing: the core build has
// no Abseil); also //tools/gpu:gpu_check. Run with --help for the flags.
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>
#include <torch/cuda.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "wsol/backbones/backbone_registry.h"
#include "wsol/cam/cam.h"
#include "wsol/methods/cam_method.h"
#include "wsol/regularizers/entropy_kl_uniform.h"
#include "wsol/train/train_step.h"
#include "wsol/train/training_state.h"

namespace {

constexpr char kUsage[] = R"(usage: gpu_check [--flag=value ...]

Compares one training step of every backbone on CUDA with the CPU (same weights, same
batch), then times training and inference with CAM on CUDA.

Check:
  --backbones=LIST      comma-separated registry names, or "all" (default: all)
  --widths=LIST         width multipliers to check; "narrow" = 0.25, "full" = 1
                        (default: narrow,full)
  --check_pixels=N      input size of the check (default: 224)
  --check_batch=N       batch size of the check (default: 4)
  --tolerance=X         largest accepted loss or gradient relative error (default: 1e-3)
  --tf32                let cuDNN use TF32 in the check (default: off, so the comparison
                        is float32 against float32; TF32 needs a tolerance near 1e-2)
  --perturb=X           scale the checked copy's weights by (1 + X) before its step: a
                        self-test that the comparison catches a difference (default: 0)
Model:
  --num_classes=N       classifier size (default: 200, CUB)
  --weight=X            lambda of the ER loss (default: 1e-4)
  --seed=N              weights and batch seed (default: 0)
Timing:
  --pixels=N            input size (default: 224)
  --width=X             width multiplier (default: 1)
  --batch=N             batch size (default: 32)
  --warmup=N            untimed steps first (default: 3)
  --steps=N             timed steps; 0 skips the timing (default: 10)
  --cudnn_benchmark     let cuDNN pick algorithms by trial in the timing (default: off, as
                        PyTorch's default)
Device:
  --allow_cpu           without CUDA, still run: the check compares the CPU with itself
                        and the timing runs on the CPU (to test this program)
  --threads=N           CPU intra-op threads (default: LibTorch's choice)
  --help                this text
)";

struct Flags {
  std::vector<std::string> backbones;  // Empty: all.
  std::vector<double> widths = {0.25, 1.0};
  int64_t check_pixels = 224;
  int64_t check_batch = 4;
  double tolerance = 1e-3;
  bool tf32 = false;
  double perturb = 0.0;
  int64_t num_classes = 200;
  double weight = 1e-4;
  uint64_t seed = 0;
  int64_t pixels = 224;
  double width = 1.0;
  int64_t batch = 32;
  int warmup = 3;
  int steps = 10;
  bool cudnn_benchmark = false;
  bool allow_cpu = false;
  int threads = 0;
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "gpu_check: %s\n(--help lists the flags)\n", message.c_str());
  std::exit(2);
}

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, ',')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

double ParseDouble(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  const double x = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !std::isfinite(x)) {
    Die("--" + flag + "=" + value + ": expected a number");
  }
  return x;
}

int64_t ParsePositive(const std::string& flag, const std::string& value, bool allow_zero) {
  char* end = nullptr;
  const long long x = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || x < (allow_zero ? 0 : 1)) {
    Die("--" + flag + "=" + value + ": expected an integer " + (allow_zero ? ">= 0" : ">= 1"));
  }
  return x;
}

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg.rfind("--", 0) != 0) Die("unexpected argument \"" + arg + "\"");
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const bool has_value = eq != std::string::npos;
    const std::string value = has_value ? arg.substr(eq + 1) : "";
    auto need_value = [&] {
      if (!has_value) Die("--" + name + " needs a value (--" + name + "=...)");
    };
    auto boolean = [&] {
      if (!has_value || value == "true" || value == "1") return true;
      if (value == "false" || value == "0") return false;
      Die("--" + name + "=" + value + ": expected true or false");
    };
    if (name == "backbones") {
      need_value();
      flags.backbones = value == "all" ? std::vector<std::string>{} : SplitCommas(value);
    } else if (name == "widths") {
      need_value();
      flags.widths.clear();
      for (const std::string& w : SplitCommas(value)) {
        if (w == "narrow") {
          flags.widths.push_back(0.25);
        } else if (w == "full") {
          flags.widths.push_back(1.0);
        } else {
          flags.widths.push_back(ParseDouble(name, w));
        }
      }
      if (flags.widths.empty()) Die("--widths is empty");
    } else if (name == "check_pixels") {
      need_value();
      flags.check_pixels = ParsePositive(name, value, false);
    } else if (name == "check_batch") {
      need_value();
      flags.check_batch = ParsePositive(name, value, false);
    } else if (name == "tolerance") {
      need_value();
      flags.tolerance = ParseDouble(name, value);
    } else if (name == "perturb") {
      need_value();
      flags.perturb = ParseDouble(name, value);
    } else if (name == "tf32") {
      flags.tf32 = boolean();
    } else if (name == "num_classes") {
      need_value();
      flags.num_classes = ParsePositive(name, value, false);
    } else if (name == "weight") {
      need_value();
      flags.weight = ParseDouble(name, value);
    } else if (name == "seed") {
      need_value();
      flags.seed = static_cast<uint64_t>(ParsePositive(name, value, true));
    } else if (name == "pixels") {
      need_value();
      flags.pixels = ParsePositive(name, value, false);
    } else if (name == "width") {
      need_value();
      flags.width = ParseDouble(name, value);
    } else if (name == "batch") {
      need_value();
      flags.batch = ParsePositive(name, value, false);
    } else if (name == "warmup") {
      need_value();
      flags.warmup = static_cast<int>(ParsePositive(name, value, true));
    } else if (name == "steps") {
      need_value();
      flags.steps = static_cast<int>(ParsePositive(name, value, true));
    } else if (name == "cudnn_benchmark") {
      flags.cudnn_benchmark = boolean();
    } else if (name == "allow_cpu") {
      flags.allow_cpu = boolean();
    } else if (name == "threads") {
      need_value();
      flags.threads = static_cast<int>(ParsePositive(name, value, false));
    } else {
      Die("unknown flag --" + name);
    }
  }
  return flags;
}

std::shared_ptr<wsol::train::WsolModel> MakeModel(const Flags& flags, const std::string& backbone,
                                                  double width) {
  return std::make_shared<wsol::train::WsolModel>(
      wsol::backbones::CreateBackbone(
          backbone, {.num_classes = flags.num_classes, .width_multiplier = width}),
      std::make_shared<wsol::methods::CamMethod>(), flags.num_classes);
}

// Copies every parameter (times 1 + perturb) and buffer of `from` into `to` (same
// architecture).
void CopyState(wsol::train::WsolModel& from, wsol::train::WsolModel& to, double perturb) {
  torch::NoGradGuard no_grad;
  auto source_parameters = from.named_parameters();
  for (auto& item : to.named_parameters()) {
    item.value().copy_(source_parameters[item.key()] * (1.0 + perturb));
  }
  auto source_buffers = from.named_buffers();
  for (auto& item : to.named_buffers()) item.value().copy_(source_buffers[item.key()]);
}

struct Batch {
  torch::Tensor images;   // [B, 3, P, P], standard normal
  torch::Tensor targets;  // [B, C], one-hot rows
  torch::Tensor classes;  // [B]
};

Batch MakeBatch(int64_t batch, int64_t pixels, int64_t num_classes, uint64_t seed) {
  torch::manual_seed(seed + 1);
  Batch b;
  b.images = torch::randn({batch, 3, pixels, pixels});
  b.classes = torch::randint(num_classes, {batch}, torch::kLong);
  b.targets = torch::one_hot(b.classes, num_classes).to(torch::kFloat);
  return b;
}

struct StepResult {
  double loss = 0.0;
  std::map<std::string, torch::Tensor> gradients;  // On the CPU, float64.
};

// One training step's loss and gradients (no optimizer update).
StepResult TrainingStepGradients(wsol::train::WsolModel& model, const Batch& batch,
                                 const wsol::regularizers::Regularizer& regularizer,
                                 const torch::Device& device, uint64_t seed) {
  model.train();
  std::mt19937_64 rng(seed);
  const wsol::methods::StepOutput step = wsol::train::ComputeGradients(
      model, regularizer, batch.images.to(device), batch.targets.to(device), rng);
  StepResult result;
  result.loss = step.loss.total.item<double>();
  for (auto& item : model.named_parameters()) {
    if (item.value().grad().defined()) {
      result.gradients[item.key()] = item.value().grad().to(torch::kCPU, torch::kDouble);
    }
  }
  return result;
}

struct Comparison {
  double loss_error = 0.0;
  double grad_error = 0.0;
  std::string worst_parameter;
  std::string problem;  // Non-empty when a gradient is missing on one side.
};

Comparison Compare(const StepResult& reference, const StepResult& other) {
  Comparison c;
  c.loss_error = std::abs(other.loss - reference.loss) / std::max(std::abs(reference.loss), 1e-12);
  double largest = 0.0;
  for (const auto& [name, g] : reference.gradients)
    largest = std::max(largest, g.norm().item<double>());
  const double floor = std::max(1e-6 * largest, 1e-30);
  for (const auto& [name, g] : reference.gradients) {
    auto it = other.gradients.find(name);
    if (it == other.gradients.end()) {
      c.problem = "no gradient for " + name + " on the checked device";
      continue;
    }
    const double error =
        (it->second - g).norm().item<double>() / std::max(g.norm().item<double>(), floor);
    if (!(error <= c.grad_error)) {  // Also catches NaN.
      c.grad_error = error;
      c.worst_parameter = name;
    }
  }
  if (other.gradients.size() != reference.gradients.size() && c.problem.empty()) {
    c.problem = "the devices differ in which parameters have gradients";
  }
  return c;
}

// LibTorch's errors without the C++ backtrace that c10::Error appends.
const char* Message(const std::exception& e) {
  const auto* error = dynamic_cast<const c10::Error*>(&e);
  return error != nullptr ? error->what_without_backtrace() : e.what();
}

void Synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

struct Timing {
  double train_images_per_second = 0.0;
  double infer_images_per_second = 0.0;
};

Timing TimeBackbone(const Flags& flags, const std::string& backbone, const torch::Device& device) {
  using Clock = std::chrono::steady_clock;
  torch::manual_seed(flags.seed);
  auto model = MakeModel(flags, backbone, flags.width);
  model->to(device);
  auto sgd = wsol::train::MakeSgd(*model, {});
  const wsol::regularizers::EntropyKlUniform regularizer({.lambda = flags.weight});
  Batch batch = MakeBatch(flags.batch, flags.pixels, flags.num_classes, flags.seed);
  const torch::Tensor images = batch.images.to(device);
  const torch::Tensor targets = batch.targets.to(device);
  const torch::Tensor classes = batch.classes.to(device);
  std::mt19937_64 rng(flags.seed);
  Timing timing;

  model->train();
  auto train_step = [&] {
    wsol::train::TrainStep(*model, *sgd, regularizer, images, targets, rng);
  };
  for (int i = 0; i < flags.warmup; ++i) train_step();
  Synchronize(device);
  auto start = Clock::now();
  for (int i = 0; i < flags.steps; ++i) train_step();
  Synchronize(device);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  timing.train_images_per_second = flags.steps * flags.batch / seconds;

  model->eval();
  torch::NoGradGuard no_grad;
  auto infer_step = [&] {
    auto inference = model->method().Infer(model->backbone(), images, classes);
    return wsol::cam::ResizeAndNormalize(inference.cams, flags.pixels, flags.pixels);
  };
  for (int i = 0; i < flags.warmup; ++i) infer_step();
  Synchronize(device);
  start = Clock::now();
  for (int i = 0; i < flags.steps; ++i) infer_step();
  Synchronize(device);
  seconds = std::chrono::duration<double>(Clock::now() - start).count();
  timing.infer_images_per_second = flags.steps * flags.batch / seconds;
  return timing;
}

int Run(const Flags& flags) {
  if (flags.threads > 0) at::set_num_threads(flags.threads);
  const bool cuda = torch::cuda::is_available();
  if (!cuda) {
    std::fprintf(stderr,
                 "gpu_check: CUDA is not available: this LibTorch has no CUDA kernels "
                 "(no libtorch_cuda linked) or no GPU is visible (device count %zu).\n",
                 torch::cuda::device_count());
    if (!flags.allow_cpu) {
      std::fprintf(stderr, "gpu_check: pass --allow_cpu to exercise the CPU path anyway.\n");
      return 2;
    }
    std::printf(
        "NO CUDA: --allow_cpu given, so the check compares the CPU with itself and the "
        "timing runs on the CPU. This tests the program, not a GPU.\n");
  }
  const torch::Device device = cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (cuda) {
    std::printf("CUDA devices: %zu, cuDNN: %s; using cuda:0\n", torch::cuda::device_count(),
                torch::cuda::cudnn_is_available() ? "yes" : "no");
  }
  std::printf("CPU threads: %d\n", at::get_num_threads());

  std::vector<std::string> backbones = flags.backbones;
  if (backbones.empty()) backbones = wsol::backbones::BackboneNames();
  for (const std::string& name : backbones) {
    const std::vector<std::string> known = wsol::backbones::BackboneNames();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string valid;
      for (const std::string& k : known) valid += (valid.empty() ? "" : ", ") + k;
      std::fprintf(stderr, "gpu_check: unknown backbone \"%s\"; valid backbones: %s\n",
                   name.c_str(), valid.c_str());
      return 2;
    }
  }
  const wsol::regularizers::EntropyKlUniform regularizer({.lambda = flags.weight});

  at::globalContext().setAllowTF32CuDNN(flags.tf32);
  at::globalContext().setAllowTF32CuBLAS(flags.tf32);
  at::globalContext().setBenchmarkCuDNN(false);
  std::printf(
      "\nCheck: one training step (CAM, ER lambda %g), %lld px, "
      "batch %lld, %lld classes, cpu vs %s, TF32 %s, tolerance %g\n",
      flags.weight, static_cast<long long>(flags.check_pixels),
      static_cast<long long>(flags.check_batch), static_cast<long long>(flags.num_classes),
      device.str().c_str(), flags.tf32 ? "on" : "off", flags.tolerance);
  std::printf("%-14s %6s %12s %12s  %-8s %s\n", "backbone", "width", "loss_rel", "grad_rel",
              "verdict", "worst parameter");
  bool all_ok = true;
  const Batch batch =
      MakeBatch(flags.check_batch, flags.check_pixels, flags.num_classes, flags.seed);
  for (const std::string& name : backbones) {
    for (double width : flags.widths) {
      try {
        torch::manual_seed(flags.seed);
        auto reference = MakeModel(flags, name, width);
        auto checked = MakeModel(flags, name, width);
        CopyState(*reference, *checked, flags.perturb);
        checked->to(device);
        const StepResult cpu =
            TrainingStepGradients(*reference, batch, regularizer, torch::kCPU, flags.seed);
        const StepResult other =
            TrainingStepGradients(*checked, batch, regularizer, device, flags.seed);
        const Comparison c = Compare(cpu, other);
        const bool ok =
            c.problem.empty() && c.loss_error <= flags.tolerance && c.grad_error <= flags.tolerance;
        all_ok = all_ok && ok;
        std::printf("%-14s %6g %12.3e %12.3e  %-8s %s%s%s\n", name.c_str(), width, c.loss_error,
                    c.grad_error, ok ? "ok" : "FAIL",
                    c.worst_parameter.empty() ? "-" : c.worst_parameter.c_str(),
                    c.problem.empty() ? "" : "; ", c.problem.c_str());
      } catch (const std::exception& e) {
        all_ok = false;
        std::printf("%-14s %6g  ERROR: %s\n", name.c_str(), width, Message(e));
      }
      std::fflush(stdout);
    }
  }

  if (flags.steps > 0) {
    at::globalContext().setAllowTF32CuDNN(true);  // LibTorch's and PyTorch's default.
    at::globalContext().setAllowTF32CuBLAS(false);
    at::globalContext().setBenchmarkCuDNN(flags.cudnn_benchmark);
    std::printf(
        "\nTiming on %s: %lld px, width %g, batch %lld, %d warm-up + %d timed steps, "
        "LibTorch's default TF32 settings, cudnn benchmark %s\n",
        device.str().c_str(), static_cast<long long>(flags.pixels), flags.width,
        static_cast<long long>(flags.batch), flags.warmup, flags.steps,
        flags.cudnn_benchmark ? "on" : "off");
    std::printf("%-14s %14s %18s\n", "backbone", "train img/s", "infer+CAM img/s");
    for (const std::string& name : backbones) {
      try {
        const Timing t = TimeBackbone(flags, name, device);
        std::printf("%-14s %14.1f %18.1f\n", name.c_str(), t.train_images_per_second,
                    t.infer_images_per_second);
      } catch (const std::exception& e) {
        all_ok = false;
        std::printf("%-14s  ERROR: %s\n", name.c_str(), Message(e));
      }
      std::fflush(stdout);
    }
  }
  std::printf("\n%s\n", all_ok ? "gpu_check: all checks passed"
                               : "gpu_check: FAILED (see the rows marked FAIL or ERROR)");
  return all_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  try {
    return Run(flags);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_check: %s\n", Message(e));
    return 2;
  }
}
