// pretrain: trains a backbone on a pretraining spec and writes its feature weights for
// fine-tuning (backbone.pretrained_path), the embedded profile's stand-in for ImageNet
// weights.
//
//   bazel run //tools:pretrain -- --spec=baselines/pretrained/preresnet18_x0.25_fmnist.pbtxt \
//       --out=baselines/pretrained/preresnet18_x0.25_fmnist.pt
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "tools/components.h"
#include "tools/pretrain.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/util/command_line.h"
#include "wsol/util/paths.h"

ABSL_FLAG(std::string, spec, "baselines/pretrained/preresnet18_x0.25_fmnist.pbtxt",
          "Pretraining spec (text-format wsol.proto.Experiment).");
ABSL_FLAG(std::vector<std::string>, set, {}, "Overrides applied to the spec.");
ABSL_FLAG(std::string, out, "", "Where to write the backbone's feature weights (.pt).");
ABSL_FLAG(std::string, cache_dir, "", "Run cache (default: wsol_cache in the workspace).");
ABSL_FLAG(bool, half, true, "Write float16 (about half the bytes of float32).");

int main(int argc, char** argv) {
  wsol::ParseCommandLineOrExit(
      argc, argv,
      "Trains a backbone on a pretraining spec and writes its feature weights (no classifier) "
      "for backbone.pretrained_path.\n  pretrain --spec=FILE --out=WEIGHTS.pt [--set=...]",
      [](absl::string_view word) { return absl::EndsWith(word, ".pbtxt") ? "--spec" : ""; });
  const std::string out = wsol::FromInvocationDir(absl::GetFlag(FLAGS_out));
  if (out.empty()) {
    std::cerr << "pretrain: --out is required (see --help)\n";
    return 2;
  }
  absl::StatusOr<wsol::proto::Experiment> spec =
      wsol::spec::LoadExperimentFile(wsol::FromInvocationDir(absl::GetFlag(FLAGS_spec)),
                                     absl::GetFlag(FLAGS_set), wsol::tools::StandardValidators());
  if (!spec.ok()) {
    std::cerr << "pretrain: " << spec.status().message() << "\n";
    return 1;
  }
  const absl::Status done = wsol::tools::Pretrain(
      {.spec = *spec,
       .out = out,
       .cache_dir = absl::GetFlag(FLAGS_cache_dir).empty()
                        ? wsol::InWorkspace("wsol_cache")
                        : wsol::FromInvocationDir(absl::GetFlag(FLAGS_cache_dir)),
       .half = absl::GetFlag(FLAGS_half)});
  if (!done.ok()) {
    std::cerr << "pretrain: " << done.message() << "\n";
    return 1;
  }
  return 0;
}
