#include "tools/pretrain.h"

#include <torch/types.h>

#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "tools/components.h"
#include "wsol/backbones/state_dict_io.h"
#include "wsol/backbones/weight_import.h"
#include "wsol/train/run_builder.h"
#include "wsol/train/run_folder.h"
#include "wsol/train/trainer.h"
#include "wsol/train/training_state.h"
#include "wsol/util/file_io.h"
#include "wsol/util/status_macros.h"
#include "wsol/util/torch_status.h"
#include "wsol/util/zip_check.h"

namespace wsol::tools {

absl::Status Pretrain(const PretrainOptions& options) {
  if (options.out.empty()) return absl::InvalidArgumentError("pretrain: no output path");
  train::TrainerOptions trainer;
  trainer.cache_dir = options.cache_dir;
  trainer.components = StandardComponents();
  trainer.progress = options.progress;
  WSOL_ASSIGN_OR_RETURN(proto::RunResults results, train::RunExperiment(options.spec, trainer));
  // The final weights (checkpoint.pt), in a model built as the run built it, on the CPU.
  proto::Experiment on_cpu = options.spec;
  on_cpu.mutable_runtime()->set_device("cpu");
  WSOL_ASSIGN_OR_RETURN(train::Model model, train::BuildModel(on_cpu, trainer.components));
  const train::RunFolder folder(train::RunFolder::PathFor(options.spec, options.cache_dir));
  WSOL_RETURN_IF_ERROR(VerifyZipChecksums(folder.checkpoint()));
  WSOL_RETURN_IF_ERROR(TorchStatus(folder.checkpoint(), [&] {
    train::LoadCheckpoint(folder.checkpoint(), *model.model, nullptr);
  }));
  backbones::Backbone& backbone = model.model->backbone();
  const std::string classifier = backbones::ClassifierPrefix(backbone);
  backbones::StateDict features;
  int64_t values = 0;
  for (const auto& [name, tensor] : backbones::ModuleStateDict(backbone)) {
    if (!classifier.empty() && absl::StartsWith(name, classifier)) continue;
    const bool floating = tensor.is_floating_point();
    features.emplace_back(name, floating && options.half
                                    ? tensor.to(torch::kHalf)
                                    : tensor.to(floating ? torch::kFloat : tensor.scalar_type()));
    values += tensor.numel();
  }
  std::vector<char> bytes;
  WSOL_RETURN_IF_ERROR(
      TorchStatus(options.out, [&] { bytes = backbones::StateDictBytes(features); }));
  WSOL_RETURN_IF_ERROR(
      WriteFileAtomically(options.out, absl::string_view(bytes.data(), bytes.size())));
  std::cout << absl::StrFormat(
      "pretrained %s: test top-1 %.2f%% after %d epochs; wrote %d tensors (%d values, %s, "
      "classifier %s left out) to %s\n",
      options.spec.name(), results.test().top1_cls(), results.history_size(), features.size(),
      values, options.half ? "float16" : "float32", classifier, options.out);
  return absl::OkStatus();
}

}  // namespace wsol::tools
