// weight_import.h
//
// Imports pretrained weights saved by Python (`torch.save(model.state_dict(), path)`,
// e.g. torchvision's ImageNet checkpoints) into our backbones, whose module names match
// torchvision's, and saves/loads our own weights in that same format.
//
//   auto net = wsol::backbones::CreateBackbone("resnet50", {.num_classes = 200});
//   wsol::backbones::ImportReport report =
//       wsol::backbones::ImportCheckpoint("resnet50-0676ba61.pth", *net, {});
//   std::cout << report.Summary();         // copied / missing / unexpected / mis-shaped
//   if (report.ok) wsol::backbones::SaveBackboneWeights(*net, "resnet50_cub.pt");
//   ...
//   wsol::backbones::LoadBackboneWeights(*net, "resnet50_cub.pt");  // in the trainer
//
// Checkpoint names are used as they are, less a leading "module." (DataParallel), or
// translated from another layout. torchvision has neither PreResNet-18 nor SE-ResNet-50,
// so the layouts their users have are read too (CheckpointLayout): timm's seresnet50
// (already our names), timm's legacy_seresnet50 (Cadene's SENet names) and pytorchcv's
// preresnet18. The layout is recognised from the names unless given.
// Modelling core: LibTorch and the standard library only; errors throw c10::Error.
#ifndef WSOL_BACKBONES_WEIGHT_IMPORT_H_
#define WSOL_BACKBONES_WEIGHT_IMPORT_H_

#include <torch/nn/module.h>

#include <cstdint>
#include <string>
#include <vector>

#include "wsol/backbones/backbone.h"
#include "wsol/backbones/state_dict_io.h"

namespace wsol::backbones {

// Where a checkpoint's tensor names come from.
enum class CheckpointLayout {
  kAuto,                // Recognised from the names (the other three).
  kNative,              // torchvision's names, which ours follow; timm's resnet50 and
                        // seresnet50 (SE as se.fc1 / se.fc2) use them too.
  kTimmLegacySenet,     // timm's legacy_seresnet50 / Cadene's se_resnet50: layer0.conv1,
                        // layer0.bn1, layerN.i.se_module.fc1, last_linear.
  kPytorchcvPreResNet,  // pytorchcv's preresnet18: features.init_block.conv,
                        // features.stageS.unitU.body.convK.{bn,conv}, identity_conv,
                        // features.post_activ.bn, output.
};

// "auto", "native", "timm_legacy_senet", "pytorchcv_preresnet".
std::string LayoutName(CheckpointLayout layout);
// The layout of that name; false for an unknown one.
bool ParseLayout(const std::string& name, CheckpointLayout* layout);

// The layout `names` are in (never kAuto): pytorchcv's when a name starts with
// "features.init_block.", Cadene's SENet when one starts with "layer0.", else native.
CheckpointLayout DetectLayout(const std::vector<std::string>& names);

// Our name for the checkpoint tensor `name` of `layout`; names with no counterpart come
// back unchanged (and are then reported as unexpected).
std::string TranslateName(const std::string& name, CheckpointLayout layout);

struct ImportOptions {
  // Leave the classifier at its initialization when its shape differs from the
  // checkpoint's (a different class count: the usual WSOL fine-tuning case) instead of
  // reporting it as mis-shaped.
  bool skip_mismatched_classifier = true;
  // Fail when a parameter or buffer of the module is missing from the checkpoint.
  bool strict = false;
  // The checkpoint's naming (ImportCheckpoint; ImportStateDict takes names as they are).
  CheckpointLayout layout = CheckpointLayout::kAuto;
};

struct ShapeMismatch {
  std::string name;
  std::vector<int64_t> expected;  // the module's
  std::vector<int64_t> actual;    // the checkpoint's
};

struct ImportReport {
  std::vector<std::string> copied;
  // In the module, absent from the checkpoint: left at their initialization.
  std::vector<std::string> missing;
  // BatchNorm num_batches_tracked counters absent from the checkpoint (files older than
  // PyTorch 0.4 have none); left at 0 as PyTorch's load_state_dict does, never an error.
  std::vector<std::string> missing_counters;
  // In the checkpoint, absent from the module: ignored.
  std::vector<std::string> unexpected;
  // Same name, different shape: not copied.
  std::vector<ShapeMismatch> mis_shaped;
  // Classifier tensors left at their initialization (skip_mismatched_classifier).
  std::vector<ShapeMismatch> skipped_classifier;
  // At least one tensor copied, none mis-shaped and, in strict mode, none missing.
  bool ok = false;
  // The layout the names were read in, and what a user should know about it.
  CheckpointLayout layout = CheckpointLayout::kNative;
  std::vector<std::string> notes;

  // Counts, then each non-empty list by name (mis-shaped ones with both shapes).
  std::string Summary() const;
};

// Copies every checkpoint tensor whose (prefix-stripped) name and shape match a
// parameter or buffer of `module`, converting the dtype. `classifier_prefix` (e.g. "fc.")
// names the classifier's tensors for skip_mismatched_classifier; empty for none.
ImportReport ImportStateDict(const StateDict& checkpoint, torch::nn::Module& module,
                             const std::string& classifier_prefix, const ImportOptions& options);

// Reads `path` (ReadStateDict), translates its names from options.layout (detected when
// kAuto) and imports it into `backbone`, whose classifier is found from
// ClassifierWeight(). Unexpected and missing tensors are reported under our names, the
// unexpected ones with the checkpoint's name too.
ImportReport ImportCheckpoint(const std::string& path, Backbone& backbone,
                              const ImportOptions& options);

// Name prefix of the backbone's classifier ("fc." for ResNet, "SPG_A4." for InceptionV3).
std::string ClassifierPrefix(Backbone& backbone);

// Every parameter and buffer of `module` by name, in registration order.
StateDict ModuleStateDict(const torch::nn::Module& module);

// Writes ModuleStateDict(module) with WriteStateDict: Python's torch.load reads it too.
void SaveBackboneWeights(const torch::nn::Module& module, const std::string& path);

// Loads weights written by SaveBackboneWeights (or any state dict with exactly the
// module's names and shapes); throws c10::Error listing what did not match, leaving the
// module unchanged.
void LoadBackboneWeights(torch::nn::Module& module, const std::string& path);

}  // namespace wsol::backbones

#endif  // WSOL_BACKBONES_WEIGHT_IMPORT_H_
