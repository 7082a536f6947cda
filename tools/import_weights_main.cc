// import_weights: copies a checkpoint (Python's torch.save(model.state_dict(), path),
// zip or legacy format; torchvision's, timm's or pytorchcv's names) into one of our backbones,
// prints what matched, and writes the backbone's weights for the trainer
// (wsol::backbones::LoadBackboneWeights; Python's torch.load reads them too).
//
//   bazel run //tools:import_weights -- --backbone=resnet50 --num_classes=200
//       --checkpoint=resnet50-0676ba61.pth --out=resnet50_cub200.pt   (one command line)
//
// The classifier is left at its initialization when the class count differs. Exits 1
// without writing when a tensor is mis-shaped or, with --strict, missing.
#include <cstdint>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "wsol/backbones/backbone_registry.h"
#include "wsol/backbones/state_dict_io.h"
#include "wsol/backbones/weight_import.h"
#include "wsol/util/command_line.h"
#include "wsol/util/file_io.h"
#include "wsol/util/paths.h"
#include "wsol/util/status_macros.h"
#include "wsol/util/torch_status.h"

ABSL_FLAG(std::string, backbone, "resnet50", "Backbone name, as in the spec's architecture.");
ABSL_FLAG(int64_t, num_classes, 1000, "Classes of the target task.");
ABSL_FLAG(double, width_multiplier, 1.0, "Channel width multiplier of the backbone.");
ABSL_FLAG(bool, large_feature_map, false, "wsolevaluation's large_feature_map variant.");
ABSL_FLAG(std::string, checkpoint, "", "State dict saved by Python's torch.save (.pth).");
ABSL_FLAG(std::string, out, "", "Where to write the backbone's weights.");
ABSL_FLAG(bool, strict, false, "Fail when a tensor of the backbone is missing.");
ABSL_FLAG(std::string, layout, "auto",
          "Naming of the checkpoint: native (torchvision; timm's resnet50 and seresnet50), "
          "timm_legacy_senet (timm's legacy_seresnet50, Cadene's se_resnet50), "
          "pytorchcv_preresnet (pytorchcv's preresnet18) or auto (recognised from the names).");
ABSL_FLAG(bool, skip_mismatched_classifier, true,
          "Leave the classifier at its initialization when its shape differs.");

namespace {

absl::Status Run() {
  const std::string checkpoint = wsol::FromInvocationDir(absl::GetFlag(FLAGS_checkpoint));
  const std::string out = wsol::FromInvocationDir(absl::GetFlag(FLAGS_out));
  if (checkpoint.empty() || out.empty()) {
    return absl::InvalidArgumentError("--checkpoint and --out are required");
  }
  wsol::backbones::BackboneOptions options;
  options.num_classes = absl::GetFlag(FLAGS_num_classes);
  options.width_multiplier = absl::GetFlag(FLAGS_width_multiplier);
  options.large_feature_map = absl::GetFlag(FLAGS_large_feature_map);
  wsol::backbones::ImportOptions import_options;
  import_options.strict = absl::GetFlag(FLAGS_strict);
  import_options.skip_mismatched_classifier = absl::GetFlag(FLAGS_skip_mismatched_classifier);
  if (!wsol::backbones::ParseLayout(absl::GetFlag(FLAGS_layout), &import_options.layout)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--layout=", absl::GetFlag(FLAGS_layout),
                     ": expected auto, native, timm_legacy_senet or pytorchcv_preresnet"));
  }
  std::shared_ptr<wsol::backbones::Backbone> backbone;
  wsol::backbones::ImportReport report;
  absl::Status imported = wsol::TorchStatus(checkpoint, [&] {
    backbone = wsol::backbones::CreateBackbone(absl::GetFlag(FLAGS_backbone), options);
    report = wsol::backbones::ImportCheckpoint(checkpoint, *backbone, import_options);
  });
  if (!imported.ok()) return imported;
  if (!report.ok) {
    // The tensors at fault go with the error (stderr), not only to stdout.
    return absl::FailedPreconditionError(absl::StrCat(
        checkpoint, ": does not fit --backbone=", absl::GetFlag(FLAGS_backbone),
        report.copied.empty()       ? " (no tensor fits: check --backbone and --layout)"
        : report.mis_shaped.empty() ? " (missing tensors in --strict mode)"
                                    : " (mis-shaped tensors: check --width_multiplier, "
                                      "--large_feature_map and --num_classes)",
        "; nothing written\n", report.Summary()));
  }
  std::cout << report.Summary();
  std::vector<char> bytes;
  WSOL_RETURN_IF_ERROR(wsol::TorchStatus(out, [&] {
    bytes = wsol::backbones::StateDictBytes(wsol::backbones::ModuleStateDict(*backbone));
  }));
  WSOL_RETURN_IF_ERROR(
      wsol::WriteFileAtomically(out, absl::string_view(bytes.data(), bytes.size())));
  std::cout << "wrote " << out << "\n";
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  wsol::ParseCommandLineOrExit(
      argc, argv,
      "Imports a torchvision, timm or pytorchcv checkpoint into a WSOL backbone.\n"
      "  import_weights --backbone=resnet50 --num_classes=200 --checkpoint=in.pth --out=out.pt");
  const absl::Status status = Run();
  if (!status.ok()) {
    std::cerr << "import_weights: " << status << "\n";
    return 1;
  }
  return 0;
}
