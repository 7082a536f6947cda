#include "datasets/prepare/prepare.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "datasets/prepare/prepare_cub.h"
#include "datasets/prepare/prepare_ilsvrc.h"
#include "datasets/prepare/prepare_openimages.h"
#include "datasets/prepare/prepare_oxford_pet.h"
#include "datasets/prepare/prepare_voc.h"

namespace wsol::datasets {
namespace {

struct Entry {
  const char* name;
  absl::StatusOr<PrepareResult> (*prepare)(const PrepareOptions&);
};

constexpr Entry kPreparers[] = {
    {"CUB", &PrepareCub},          {"ILSVRC", &PrepareIlsvrc}, {"OpenImages", &PrepareOpenImages},
    {"Oxford", &PrepareOxfordPet}, {"VOC", &PrepareVoc},
};

}  // namespace

std::vector<std::string> PreparerNames() {
  std::vector<std::string> names;
  for (const Entry& e : kPreparers) names.push_back(e.name);
  return names;
}

absl::StatusOr<PrepareResult> PrepareDataset(const std::string& name,
                                             const PrepareOptions& options) {
  for (const Entry& e : kPreparers) {
    if (absl::EqualsIgnoreCase(name, e.name)) return e.prepare(options);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown dataset '", name, "'; valid: ", absl::StrJoin(PreparerNames(), ", ")));
}

}  // namespace wsol::datasets
