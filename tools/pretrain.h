// pretrain.h
//
// Pretraining of a backbone for fine-tuning, the embedded profile's miniature of ImageNet
// initialization: train the spec like any run (cached in the run folder of its
// fingerprint), then write the trained backbone's feature weights without its classifier
// (a new task gets a new one), optionally in float16, as a torch.save state dict that
// backbone.pretrained_path and Python's torch.load read.
//
//   WSOL_RETURN_IF_ERROR(Pretrain({.spec = spec, .out = "pretrained.pt", .half = true}));
#ifndef TOOLS_PRETRAIN_H_
#define TOOLS_PRETRAIN_H_

#include <string>

#include "absl/status/status.h"
#include "wsol/proto/experiment.pb.h"

namespace wsol::tools {

struct PretrainOptions {
  proto::Experiment spec;
  std::string out;
  std::string cache_dir = "wsol_cache";
  bool half = true;
  bool progress = true;
};

// Trains (or reuses) the run and writes its final backbone without the classifier.
absl::Status Pretrain(const PretrainOptions& options);

}  // namespace wsol::tools

#endif  // TOOLS_PRETRAIN_H_
