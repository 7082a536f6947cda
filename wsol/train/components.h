// components.h
//
// What the trainer takes from the layers above wsol/: how a method is built from its
// spec (baselines/' method table) and where a run's data comes from (datasets/'
// LoadSplits). The trainer depends on wsol/ only; the binaries and tests pass these in,
// tools/components.h gives the standard ones:
//
//   wsol::train::Components components = wsol::tools::StandardComponents();
//   RunExperiment(spec, {.cache_dir = "wsol_cache", .components = components});
#ifndef WSOL_TRAIN_COMPONENTS_H_
#define WSOL_TRAIN_COMPONENTS_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wsol/data/splits.h"
#include "wsol/methods/method.h"
#include "wsol/proto/method.pb.h"

namespace wsol::train {

// Builds the method a spec's `method { ... }` selects; errors name the field.
using MethodBuilder =
    std::function<absl::StatusOr<std::shared_ptr<methods::Method>>(const proto::Method&)>;
// Checks a spec's `method { ... }` without building it (for spec loading).
using MethodValidator = std::function<absl::Status(const proto::Method&)>;

struct Components {
  MethodBuilder build_method;
  MethodValidator validate_method;
  data::SplitsLoader load_splits;
};

}  // namespace wsol::train

#endif  // WSOL_TRAIN_COMPONENTS_H_
