// spec_loader.h
//
// Loads an experiment spec (text-format wsol.proto.Experiment) and validates it.
// Parse errors name the file, line and column; validation errors name the field path
// and the allowed range.
//
//   absl::StatusOr<wsol::proto::Experiment> spec =
//       wsol::spec::LoadExperimentFile("baselines/cam.pbtxt", {"optimizer.lr=0.01"});
//   if (!spec.ok()) { std::cerr << spec.status() << "\n"; return 1; }
#ifndef WSOL_SPEC_SPEC_LOADER_H_
#define WSOL_SPEC_SPEC_LOADER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "wsol/proto/experiment.pb.h"
#include "wsol/spec/compose.h"

namespace wsol::spec {

// ParseTextProto parses `text` into `message` (any message type) with errors named
// "<source_name>:<line>:<column>: <what>".
absl::Status ParseTextProto(absl::string_view text, absl::string_view source_name,
                            google::protobuf::Message* message);

// ParseExperiment parses `text` as a text-format Experiment. `source_name` (a file name)
// prefixes error messages: "<source_name>:<line>:<column>: <what>".
absl::StatusOr<proto::Experiment> ParseExperiment(absl::string_view text,
                                                  absl::string_view source_name);

// ApplyOverride sets one field from "path.to.field=value", e.g. "optimizer.lr=0.01",
// "regularizer.entropy_kl_uniform.lambda=1e-3", "evaluation.iou_thresholds=[30,50]" or,
// for a message (e.g. to pick a oneof member), a text-format body: "regularizer.none={}".
// A repeated field is replaced, not appended to.
absl::Status ApplyOverride(absl::string_view assignment, proto::Experiment* experiment);

// The validators of the component kinds whose tables live in other packages (the
// backbone, method and regularizer tables): each checks its sub-message and names the
// field path. tools/components.h gives the standard ones; a kind left empty is checked
// when the component is built.
struct ComponentValidators {
  std::function<absl::Status(const proto::Backbone&)> backbone;
  std::function<absl::Status(const proto::Method&)> method;
  std::function<absl::Status(const proto::Regularizer&)> regularizer;
};

// ValidateExperiment checks value ranges and cross-field consistency: the dataset,
// optimizer, evaluation and runtime fields here, each component through `components`.
// Every failure is listed, each naming the field path, the value and what was expected.
absl::Status ValidateExperiment(const proto::Experiment& experiment,
                                const ComponentValidators& components = {});

// Upper bounds of runtime.threads and runtime.loader_workers (far above any machine;
// a typo such as 100000 is refused at load instead of starting that many threads).
inline constexpr int kMaxThreads = 1024;
inline constexpr int kMaxLoaderWorkers = 256;

// A list flag (--set=a=[1,2],b=3) arrives split at every comma; this joins the pieces
// back while a [ or { is open: {"a=[1", "2]", "b=3"} -> {"a=[1,2]", "b=3"}.
std::vector<std::string> JoinSplitOverrides(const std::vector<std::string>& pieces);

// LoadExperimentFile reads `path` (with the fragments its `base` names, relative to the
// workspace root: wsol/util/paths.h), applies `overrides` in order (through
// JoinSplitOverrides) and validates. The spec must name at least dataset.name and
// backbone.architecture (an empty or comment-only spec is refused).
absl::StatusOr<proto::Experiment> LoadExperimentFile(const std::string& path,
                                                     const std::vector<std::string>& overrides = {},
                                                     const ComponentValidators& components = {});

// LoadComposedExperiment merges `fragments` and `assignments` (compose.h), then checks
// and validates the result as LoadExperimentFile does; errors name the fragments.
absl::StatusOr<ComposedExperiment> LoadComposedExperiment(
    const std::vector<std::string>& fragments, const std::vector<Assignment>& assignments,
    const std::string& workspace_root, const ComponentValidators& components = {});

// Makes the paths written inside a spec (backbone.pretrained_path, dataset.root,
// metadata_root, mask_root, mask_metadata_root, runtime.output_dir) relative to
// `workspace_root` when they are relative (wsol/util/paths.h: WorkspaceRoot()), so a spec
// means the same files under `bazel run`, bazel-bin/... and a table. "" keeps them.
void ResolveSpecPaths(const std::string& workspace_root, proto::Experiment* experiment);

// SpecFingerprint is a stable hex digest of the spec's canonical text form, used to name
// cache folders: equal messages give equal fingerprints, and any set field changes it.
std::string SpecFingerprint(const proto::Experiment& experiment);

// ResultFingerprint is SpecFingerprint without the fields that cannot change a run's
// numbers (name, runtime.device, runtime.threads, runtime.loader_workers,
// runtime.output_dir), and with backbone.pretrained_path standing for the file's content
// (a digest of its bytes, when it can be read): the key of the run cache and of a
// checkpoint's resume check, so a run resumes, and is reused by the tables, whatever
// device or thread count it is given, and re-importing other weights to the same path
// trains anew. Runs whose numbers a code change moved also hash ResultsRevision, so a
// result cached before the change is never shown as this code's.
std::string ResultFingerprint(const proto::Experiment& experiment);

// The code changes that moved this run's trained numbers since the cache's fingerprints
// began, comma-separated ("" for a run no change has moved, whose fingerprint is as it
// was). A change that moves numbers adds its entry here, naming the runs it moves.
std::string ResultsRevision(const proto::Experiment& experiment);

}  // namespace wsol::spec

#endif  // WSOL_SPEC_SPEC_LOADER_H_
