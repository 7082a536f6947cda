#include "wsol/spec/spec_loader.h"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "wsol/util/field_checker.h"
#include "wsol/util/file_io.h"
#include "wsol/util/paths.h"
#include "wsol/util/status_macros.h"

namespace wsol::spec {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;

class CollectingErrors : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectingErrors(absl::string_view source) : source_(source) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_.push_back(absl::StrFormat("%s:%d:%d: %s", source_, line + 1, column + 1, message));
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {
    AddError(line, column, "warning: " + message);
  }
  std::string Joined() const { return absl::StrJoin(errors_, "\n"); }
  bool empty() const { return errors_.empty(); }

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

using Checker = FieldChecker;

bool InUnit(double v) { return std::isfinite(v) && v >= 0.0 && v <= 1.0; }
bool Positive(double v) { return std::isfinite(v) && v > 0.0; }
bool NonNegative(double v) { return std::isfinite(v) && v >= 0.0; }

// Upper bounds of counts and sizes: far above any real setting, low enough that an
// absurd value (a typo, INT_MAX) is refused here instead of overflowing or exhausting
// memory later.
constexpr int kMaxClasses = 100000;
constexpr int kMaxImageSide = 4096;
constexpr int kMaxEpochs = 100000;
constexpr int kMaxBatchSize = 65536;
constexpr int kMaxFmnistCanvas = 1024;
constexpr int kMaxFmnistDistractors = 64;
// Fashion-MNIST has 6000 training and 1000 test items per class
// (datasets/fmnist_loc checks the exact share each set may use).
constexpr int kMaxFmnistTrainItems = 6000;
constexpr int kMaxFmnistTestItems = 1000;

std::string Between(int64_t low, int64_t high) {
  return absl::StrCat("in [", low, ", ", high, "]");
}

void ValidateDataset(const proto::Dataset& d, Checker& c) {
  c.Range(d.num_classes() >= 2 && d.num_classes() <= kMaxClasses, "dataset.num_classes",
          d.num_classes(), Between(2, kMaxClasses));
  c.Range(d.resize_size() > 0 && d.resize_size() <= kMaxImageSide, "dataset.resize_size",
          d.resize_size(), Between(1, kMaxImageSide));
  c.Range(d.crop_size() > 0 && d.crop_size() <= d.resize_size(), "dataset.crop_size", d.crop_size(),
          absl::StrCat("in [1, dataset.resize_size = ", d.resize_size(), "]"));
  c.Range(d.eval_size() > 0 && d.eval_size() <= kMaxImageSide, "dataset.eval_size", d.eval_size(),
          Between(1, kMaxImageSide));
  if (d.name().empty()) c.Fail("dataset.name is empty: expected a data set name");
  if (d.has_fmnist_loc()) {
    const proto::FmnistLoc& f = d.fmnist_loc();
    c.Range(f.canvas_size() >= 16 && f.canvas_size() <= kMaxFmnistCanvas,
            "dataset.fmnist_loc.canvas_size", f.canvas_size(), Between(16, kMaxFmnistCanvas));
    c.Range(f.min_item_size() >= 8 && f.min_item_size() <= f.max_item_size(),
            "dataset.fmnist_loc.min_item_size", f.min_item_size(),
            "in [8, dataset.fmnist_loc.max_item_size]");
    c.Range(f.max_item_size() <= f.canvas_size(), "dataset.fmnist_loc.max_item_size",
            f.max_item_size(), "<= dataset.fmnist_loc.canvas_size");
    c.Range(f.train_per_class() > 0 && f.train_per_class() <= kMaxFmnistTrainItems,
            "dataset.fmnist_loc.train_per_class", f.train_per_class(),
            Between(1, kMaxFmnistTrainItems));
    c.Range(f.val_per_class() > 0 && f.val_per_class() <= kMaxFmnistTrainItems,
            "dataset.fmnist_loc.val_per_class", f.val_per_class(),
            Between(1, kMaxFmnistTrainItems));
    c.Range(f.test_per_class() > 0 && f.test_per_class() <= kMaxFmnistTestItems,
            "dataset.fmnist_loc.test_per_class", f.test_per_class(),
            Between(1, kMaxFmnistTestItems));
    c.Range(InUnit(f.background_correlation()), "dataset.fmnist_loc.background_correlation",
            f.background_correlation(), "in [0, 1]");
    c.Range(f.distractors() >= 0 && f.distractors() <= kMaxFmnistDistractors,
            "dataset.fmnist_loc.distractors", f.distractors(), Between(0, kMaxFmnistDistractors));
  }
}

void ValidateOptimizer(const proto::Optimizer& o, Checker& c) {
  c.Range(Positive(o.lr()), "optimizer.lr", o.lr(), "> 0");
  c.Range(std::isfinite(o.momentum()) && o.momentum() >= 0 && o.momentum() < 1,
          "optimizer.momentum", o.momentum(), "in [0, 1)");
  c.Range(NonNegative(o.weight_decay()), "optimizer.weight_decay", o.weight_decay(), ">= 0");
  c.Range(Positive(o.classifier_lr_multiplier()), "optimizer.classifier_lr_multiplier",
          o.classifier_lr_multiplier(), "> 0");
  c.Range(o.decay_every_epochs() > 0 && o.decay_every_epochs() <= kMaxEpochs,
          "optimizer.decay_every_epochs", o.decay_every_epochs(), Between(1, kMaxEpochs));
  c.Range(o.decay_factor() > 0 && o.decay_factor() <= 1, "optimizer.decay_factor", o.decay_factor(),
          "in (0, 1]");
  c.Range(o.epochs() > 0 && o.epochs() <= kMaxEpochs, "optimizer.epochs", o.epochs(),
          Between(1, kMaxEpochs));
  c.Range(o.batch_size() > 0 && o.batch_size() <= kMaxBatchSize, "optimizer.batch_size",
          o.batch_size(), Between(1, kMaxBatchSize));
}

void ValidateEvaluation(const proto::Evaluation& e, Checker& c) {
  c.Range(e.cam_curve_interval() > 0 && e.cam_curve_interval() < 1, "evaluation.cam_curve_interval",
          e.cam_curve_interval(), "in (0, 1)");
  for (int i = 0; i < e.iou_thresholds_size(); ++i) {
    c.Range(e.iou_thresholds(i) >= 1 && e.iou_thresholds(i) <= 100,
            absl::StrCat("evaluation.iou_thresholds[", i, "]"), e.iou_thresholds(i),
            "in [1, 100] (percent)");
  }
  c.Range(InUnit(e.box_threshold()), "evaluation.box_threshold", e.box_threshold(), "in [0, 1]");
  c.Range(e.train_entropy_images() >= 0, "evaluation.train_entropy_images",
          e.train_entropy_images(), ">= 0 (0 = every training image)");
  c.Range(e.observe_every_epochs() >= 1, "evaluation.observe_every_epochs",
          e.observe_every_epochs(), ">= 1 (1 = every epoch)");
  if (e.selection_split() != "val" && e.selection_split() != "test") {
    c.Fail(absl::StrCat("evaluation.selection_split = \"", e.selection_split(),
                        "\": expected \"val\" or \"test\""));
  }
}

void ValidateRuntime(const proto::Runtime& r, Checker& c) {
  if (r.device() != "auto" && r.device() != "cpu" && r.device() != "cuda") {
    c.Fail(absl::StrCat("runtime.device = \"", r.device(),
                        "\": expected \"auto\", \"cpu\" or \"cuda\""));
  }
  if (r.profile() != "embedded" && r.profile() != "paper") {
    c.Fail(absl::StrCat("runtime.profile = \"", r.profile(),
                        "\": expected \"embedded\" or \"paper\""));
  }
  c.Range(r.threads() >= 0 && r.threads() <= kMaxThreads, "runtime.threads", r.threads(),
          absl::StrCat("in [0, ", kMaxThreads, "] (0 = all cores)"));
  c.Range(r.loader_workers() >= 0 && r.loader_workers() <= kMaxLoaderWorkers,
          "runtime.loader_workers", r.loader_workers(),
          absl::StrCat("in [0, ", kMaxLoaderWorkers, "]"));
  c.Range(r.checkpoint_every_epochs() >= 1, "runtime.checkpoint_every_epochs",
          r.checkpoint_every_epochs(), ">= 1 (1 = after every epoch)");
}

// Quotes `value` for text format when the target is a string and it is not quoted yet.
std::string TextValue(const FieldDescriptor* field, absl::string_view value) {
  if (field->type() == FieldDescriptor::TYPE_STRING && !value.empty() && value.front() != '"' &&
      value.front() != '\'') {
    return absl::StrCat("\"", absl::CEscape(value), "\"");
  }
  return std::string(value);
}

}  // namespace

absl::Status ParseTextProto(absl::string_view text, absl::string_view source_name,
                            google::protobuf::Message* message) {
  CollectingErrors errors(source_name);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  const bool ok = parser.ParseFromString(std::string(text), message);
  if (!ok || !errors.empty()) return absl::InvalidArgumentError(errors.Joined());
  return absl::OkStatus();
}

absl::StatusOr<proto::Experiment> ParseExperiment(absl::string_view text,
                                                  absl::string_view source_name) {
  proto::Experiment experiment;
  WSOL_RETURN_IF_ERROR(ParseTextProto(text, source_name, &experiment));
  return experiment;
}

absl::Status ApplyOverride(absl::string_view assignment, proto::Experiment* experiment) {
  const size_t eq = assignment.find('=');
  if (eq == absl::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "override \"", assignment, "\": expected path.to.field=value, e.g. optimizer.lr=0.01"));
  }
  const std::string path(absl::StripAsciiWhitespace(assignment.substr(0, eq)));
  const absl::string_view value = absl::StripAsciiWhitespace(assignment.substr(eq + 1));
  const std::vector<std::string> parts = absl::StrSplit(path, '.');

  // Walk the descriptors so an unknown field is reported with the valid names.
  const Descriptor* descriptor = proto::Experiment::descriptor();
  const FieldDescriptor* field = nullptr;
  for (size_t i = 0; i < parts.size(); ++i) {
    field = descriptor->FindFieldByName(parts[i]);
    if (field == nullptr) {
      std::vector<std::string> names;
      for (int f = 0; f < descriptor->field_count(); ++f)
        names.push_back(descriptor->field(f)->name());
      return absl::InvalidArgumentError(absl::StrCat(
          "override \"", assignment, "\": ", descriptor->full_name(), " has no field \"", parts[i],
          "\"; fields are: ", absl::StrJoin(names, ", ")));
    }
    if (i + 1 < parts.size()) {
      if (field->type() != FieldDescriptor::TYPE_MESSAGE) {
        return absl::InvalidArgumentError(
            absl::StrCat("override \"", assignment, "\": \"", parts[i], "\" is not a message"));
      }
      descriptor = field->message_type();
    } else if (field->type() == FieldDescriptor::TYPE_MESSAGE && !absl::StartsWith(value, "{")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "override \"", assignment, "\": \"", parts[i],
          "\" is a message; set one of its fields or give a message body, e.g. ", parts[i], "={}"));
    }
  }

  // Build "a { b { c: value } }" and merge it; clear a repeated target first.
  std::string text = field->type() == FieldDescriptor::TYPE_MESSAGE
                         ? absl::StrCat(parts.back(), " ", value)
                         : absl::StrCat(parts.back(), ": ", TextValue(field, value));
  for (int i = static_cast<int>(parts.size()) - 2; i >= 0; --i) {
    text = absl::StrCat(parts[i], " { ", text, " }");
  }
  if (field->is_repeated()) {
    google::protobuf::Message* message = experiment;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      const FieldDescriptor* f = message->GetDescriptor()->FindFieldByName(parts[i]);
      message = message->GetReflection()->MutableMessage(message, f);
    }
    message->GetReflection()->ClearField(message, field);
  }
  CollectingErrors errors(absl::StrCat("override \"", assignment, "\""));
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.AllowPartialMessage(true);
  if (!parser.MergeFromString(text, experiment) || !errors.empty()) {
    return absl::InvalidArgumentError(errors.Joined());
  }
  return absl::OkStatus();
}

absl::Status ValidateExperiment(const proto::Experiment& experiment,
                                const ComponentValidators& components) {
  Checker checker;
  ValidateDataset(experiment.dataset(), checker);
  if (experiment.backbone().architecture().empty()) {
    checker.Fail("backbone.architecture is empty: expected a backbone name");
  }
  checker.Range(Positive(experiment.backbone().width_multiplier()), "backbone.width_multiplier",
                experiment.backbone().width_multiplier(), "> 0");
  // Each component kind checks its own sub-message (its table's rows).
  if (components.backbone) checker.Add(components.backbone(experiment.backbone()));
  if (components.method) checker.Add(components.method(experiment.method()));
  if (components.regularizer) checker.Add(components.regularizer(experiment.regularizer()));
  ValidateOptimizer(experiment.optimizer(), checker);
  ValidateEvaluation(experiment.evaluation(), checker);
  ValidateRuntime(experiment.runtime(), checker);
  return checker.Result();
}

std::vector<std::string> JoinSplitOverrides(const std::vector<std::string>& pieces) {
  std::vector<std::string> joined;
  int open = 0;  // Brackets and braces opened and not yet closed by the pieces so far.
  for (const std::string& piece : pieces) {
    if (open > 0) {
      absl::StrAppend(&joined.back(), ",", piece);
    } else {
      joined.push_back(piece);
    }
    for (char ch : piece) {
      if (ch == '[' || ch == '{') ++open;
      if ((ch == ']' || ch == '}') && open > 0) --open;
    }
  }
  return joined;
}

absl::StatusOr<ComposedExperiment> LoadComposedExperiment(
    const std::vector<std::string>& fragments, const std::vector<Assignment>& assignments,
    const std::string& workspace_root, const ComponentValidators& components) {
  WSOL_ASSIGN_OR_RETURN(ComposedExperiment composed,
                        ComposeExperiment(fragments, assignments, workspace_root));
  const std::string named = absl::StrJoin(fragments, " + ");
  // Every field has a default, so an empty file (or a directory's worth of nothing) would
  // otherwise train on all of them: a spec names at least its data and its model.
  const proto::Experiment& experiment = composed.experiment;
  std::vector<std::string> missing;
  if (!experiment.dataset().has_name()) missing.push_back("dataset.name");
  if (!experiment.backbone().has_architecture()) missing.push_back("backbone.architecture");
  if (!missing.empty()) {
    const bool empty = fragments.size() == 1 && composed.sources.empty() && [&] {
      absl::StatusOr<std::string> text = ReadRegularFile(fragments[0], "spec file");
      return text.ok() && text->find_first_not_of(" \t\r\n") == std::string::npos;
    }();
    return absl::InvalidArgumentError(absl::StrCat(
        named, ": the spec does not set ", absl::StrJoin(missing, " or "),
        empty ? " (the file is empty)" : "",
        "; every spec names its data set and backbone (see baselines/specs/cam.pbtxt)"));
  }
  absl::Status valid = ValidateExperiment(experiment, components);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(named, ": invalid spec:\n", valid.message()));
  }
  return composed;
}

absl::StatusOr<proto::Experiment> LoadExperimentFile(const std::string& path,
                                                     const std::vector<std::string>& overrides,
                                                     const ComponentValidators& components) {
  std::vector<Assignment> assignments;
  for (const std::string& assignment : JoinSplitOverrides(overrides)) {
    assignments.emplace_back(assignment, "--set");
  }
  WSOL_ASSIGN_OR_RETURN(ComposedExperiment composed,
                        LoadComposedExperiment({path}, assignments, WorkspaceRoot(), components));
  return std::move(composed.experiment);
}

void ResolveSpecPaths(const std::string& workspace_root, proto::Experiment* experiment) {
  if (workspace_root.empty()) return;
  auto resolve = [&](bool has, const std::string& path, auto set) {
    if (has && !path.empty() && std::filesystem::path(path).is_relative()) {
      set((std::filesystem::path(workspace_root) / path).string());
    }
  };
  proto::Backbone* b = experiment->mutable_backbone();
  resolve(b->has_pretrained_path(), b->pretrained_path(),
          [&](const std::string& p) { b->set_pretrained_path(p); });
  proto::Dataset* d = experiment->mutable_dataset();
  resolve(d->has_root(), d->root(), [&](const std::string& p) { d->set_root(p); });
  resolve(d->has_metadata_root(), d->metadata_root(),
          [&](const std::string& p) { d->set_metadata_root(p); });
  resolve(d->has_mask_root(), d->mask_root(), [&](const std::string& p) { d->set_mask_root(p); });
  resolve(d->has_mask_metadata_root(), d->mask_metadata_root(),
          [&](const std::string& p) { d->set_mask_metadata_root(p); });
  proto::Runtime* r = experiment->mutable_runtime();
  resolve(r->has_output_dir(), r->output_dir(),
          [&](const std::string& p) { r->set_output_dir(p); });
}

namespace {

// 64-bit FNV-1a as 16 hex digits: stable across platforms and library versions.
std::string Fnv1aHex(absl::string_view text) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char ch : text) {
    hash ^= ch;
    hash *= 1099511628211ULL;
  }
  return absl::StrFormat("%016x", hash);
}

}  // namespace

std::string SpecFingerprint(const proto::Experiment& experiment) {
  std::string text;
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  printer.PrintToString(experiment, &text);
  return Fnv1aHex(text);
}

std::string ResultsRevision(const proto::Experiment& experiment) {
  std::vector<std::string> revisions;
  const std::string& arch = experiment.backbone().architecture();
  const proto::Method& method = experiment.method();
  // SPG's classifier trains at the base rate on the ResNets, as wsolevaluation's SPG_A4
  // (outside the layer4 / fc names its 10x rate picks); it trained at 10x before.
  if ((arch == "resnet50" || arch == "se_resnet50" || arch == "preresnet18") && method.has_spg()) {
    revisions.push_back("spg-classifier-base-rate");
  }
  // PreResNet-18's last ADL / RDAP acts on the features after the final BN-ReLU (the map
  // the CAM is read from); it acted on the pre-activation stream before.
  if (arch == "preresnet18" && (method.has_adl() || method.has_rdap())) {
    revisions.push_back("preresnet18-last-drop-post-activation");
  }
  return absl::StrJoin(revisions, ",");
}

namespace {

// 64-bit FNV-1a of a file's bytes as hex, or "" when it cannot be read.
std::string FileDigest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  uint64_t hash = 1469598103934665603ULL;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      hash ^= static_cast<unsigned char>(buffer[i]);
      hash *= 1099511628211ULL;
    }
  }
  return absl::StrFormat("%016x", hash);
}

}  // namespace

std::string ResultFingerprint(const proto::Experiment& experiment) {
  proto::Experiment keyed = experiment;
  // Pretrained weights count by their content, not their path: other weights at the same
  // path make another run, the same weights elsewhere the same one.
  if (!keyed.backbone().pretrained_path().empty()) {
    const std::string digest = FileDigest(keyed.backbone().pretrained_path());
    if (!digest.empty()) keyed.mutable_backbone()->set_pretrained_path("content:" + digest);
  }
  // A seed or profile left at its default is the same run as one written out (the tables
  // write both), so both count as set.
  keyed.mutable_runtime()->set_seed(keyed.runtime().seed());
  keyed.mutable_runtime()->set_profile(keyed.runtime().profile());
  keyed.clear_name();
  keyed.mutable_runtime()->clear_device();
  keyed.mutable_runtime()->clear_threads();
  keyed.mutable_runtime()->clear_loader_workers();
  keyed.mutable_runtime()->clear_output_dir();
  keyed.mutable_runtime()->clear_checkpoint_every_epochs();
  const std::string revision = ResultsRevision(keyed);
  if (revision.empty()) return SpecFingerprint(keyed);
  std::string text;
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  printer.PrintToString(keyed, &text);
  return Fnv1aHex(absl::StrCat(text, "\nresults revision: ", revision));
}

}  // namespace wsol::spec
