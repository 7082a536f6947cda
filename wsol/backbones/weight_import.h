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
// Checkpoint names are used as they are, less a leading "module." (DataParallel).
// Modelling core: LibTorch and the standard library only; errors throw c10::Error.
#ifndef WSOL_BACKBONES_WEIGHT_IMPORT_H_
#define WSOL_BACKBONES_WEIGHT_IMPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include <torch/nn/module.h>

#include "wsol/backbones/backbone.h"
#include "wsol/backbones/state_dict_io.h"

namespace wsol::backbones {

struct ImportOptions {
  // Leave the classifier at its initialization when its shape differs from the
  // checkpoint's (a different class count: the usual WSOL fine-tuning case) instead of
  // reporting it as mis-shaped.
  bool skip_mismatched_classifier = true;
  // Fail when a parameter or buffer of the module is missing from the checkpoint.
  bool strict = false;
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
  // No mis-shaped tensors and, in strict mode, none missing.
  bool ok = false;

  // Counts, then each non-empty list by name (mis-shaped ones with both shapes).
  std::string Summary() const;
};

// Copies every checkpoint tensor whose (prefix-stripped) name and shape match a
// parameter or buffer of `module`, converting the dtype. `classifier_prefix` (e.g. "fc.")
// names the classifier's tensors for skip_mismatched_classifier; empty for none.
ImportReport ImportStateDict(const StateDict& checkpoint, torch::nn::Module& module,
                             const std::string& classifier_prefix, const ImportOptions& options);

// Reads `path` (ReadStateDict) and imports it into `backbone`, whose classifier is
// found from ClassifierWeight().
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
