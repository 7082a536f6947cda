// compose.h
//
// A run spec composed of fragments: text-format Experiment files that each set one
// component's fields (a data set, a backbone, a method, a recipe), merged in order and
// then overridden by `--set` style assignments. A file lists the fragments it builds on
// in `base` (paths relative to the workspace root), merged before its own fields:
//
//   # baselines/specs/cam_er.pbtxt
//   base: "baselines/specs/cam.pbtxt"
//   base: "wsol/regularizers/specs/er.pbtxt"
//   name: "cam_er"
//   overrides: "name"
//
// Merging is checked: a fragment that sets a field an earlier one set to another value
// (a different scalar, list or oneof member) is an error naming both files, unless the
// later one lists the field, or a message above it, in `overrides`. A message-valued
// field listed in `overrides` is replaced whole. Assignments (`--set`) always win.
//
//   absl::StatusOr<ComposedExperiment> spec = ComposeExperiment(
//       {"datasets/specs/cub.pbtxt", "wsol/backbones/specs/resnet50.pbtxt"},
//       {{"optimizer.lr=0.01", "--set"}}, workspace_root);
//   std::cout << DescribeSources(*spec);  // every field with the file that set it
#ifndef WSOL_SPEC_COMPOSE_H_
#define WSOL_SPEC_COMPOSE_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "wsol/proto/experiment.pb.h"

namespace wsol::spec {

struct ComposedExperiment {
  // The merged spec, `base` and `overrides` cleared (so they never reach a fingerprint).
  proto::Experiment experiment;
  // Field path ("optimizer.lr", "regularizer.entropy_kl_uniform") -> the file or
  // assignment that set it last. A path covers the fields below it.
  std::map<std::string, std::string> sources;
};

// An override and where it comes from, for the sources: {"optimizer.lr=0.01", "--set"}.
using Assignment = std::pair<std::string, std::string>;

// Merges `fragments` (each with its own `base` first, recursively) in order, then applies
// `assignments` in order. Fragment paths are used as given; `base` entries are relative
// to `workspace_root` ("" = the working directory). Errors name the file and field.
absl::StatusOr<ComposedExperiment> ComposeExperiment(const std::vector<std::string>& fragments,
                                                     const std::vector<Assignment>& assignments,
                                                     const std::string& workspace_root);

// The spec one field per line, "path: value  # source", in field order.
std::string DescribeSources(const ComposedExperiment& composed);

}  // namespace wsol::spec

#endif  // WSOL_SPEC_COMPOSE_H_
