#include "wsol/backbones/weight_import.h"

#include <torch/types.h>

#include <cctype>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <utility>

namespace wsol::backbones {
namespace {

constexpr char kDataParallelPrefix[] = "module.";
constexpr char kBatchNormCounter[] = "num_batches_tracked";

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string Join(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

std::string JoinMismatches(const std::vector<ShapeMismatch>& mismatches) {
  std::string text;
  for (const ShapeMismatch& m : mismatches) {
    text += (text.empty() ? "" : "; ") + m.name + ": module " + ShapeString(m.expected) +
            ", checkpoint " + ShapeString(m.actual);
  }
  return text;
}

// Matches `checkpoint` against `module`; copies the matching tensors when `copy`.
ImportReport Match(const StateDict& checkpoint, torch::nn::Module& module,
                   const std::string& classifier_prefix, const ImportOptions& options, bool copy) {
  const StateDict targets = ModuleStateDict(module);
  std::map<std::string, torch::Tensor> by_name(targets.begin(), targets.end());
  std::set<std::string> seen;
  ImportReport report;
  torch::NoGradGuard no_grad;
  for (const auto& [raw_name, source] : checkpoint) {
    std::string name = raw_name;
    if (StartsWith(name, kDataParallelPrefix)) name = name.substr(sizeof(kDataParallelPrefix) - 1);
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      report.unexpected.push_back(raw_name);
      continue;
    }
    seen.insert(name);
    torch::Tensor target = it->second;
    if (target.sizes() != source.sizes()) {
      ShapeMismatch mismatch{name, target.sizes().vec(), source.sizes().vec()};
      const bool classifier = !classifier_prefix.empty() && StartsWith(name, classifier_prefix);
      (classifier && options.skip_mismatched_classifier ? report.skipped_classifier
                                                        : report.mis_shaped)
          .push_back(std::move(mismatch));
      continue;
    }
    if (copy) target.copy_(source);
    report.copied.push_back(name);
  }
  for (const auto& [name, tensor] : targets) {
    if (seen.count(name)) continue;
    (EndsWith(name, std::string(".") + kBatchNormCounter) ? report.missing_counters
                                                          : report.missing)
        .push_back(name);
  }
  // A checkpoint none of whose tensors fit (another backbone or layout) is never "ok".
  report.ok = report.mis_shaped.empty() && !report.copied.empty() &&
              (!options.strict || report.missing.empty());
  return report;
}

// One rewrite rule: a whole-name pattern and its replacement (std::regex syntax).
struct Rule {
  std::regex pattern;
  std::string replacement;
};

const std::vector<Rule>& RulesFor(CheckpointLayout layout) {
  static const auto* legacy_senet = new std::vector<Rule>{
      {std::regex(R"(^layer0\.conv1\.(.*)$)"), "conv1.$1"},
      {std::regex(R"(^layer0\.bn1\.(.*)$)"), "bn1.$1"},
      {std::regex(R"(^(layer[1-4]\.\d+)\.se_module\.(fc[12]\..*)$)"), "$1.se.$2"},
      {std::regex(R"(^last_linear\.(.*)$)"), "fc.$1"},
  };
  // pytorchcv numbers stages and units from 1; its unit's convK.bn is the BN-ReLU before
  // convK.conv, our blocks' bnK.
  static const auto* pytorchcv_preresnet = new std::vector<Rule>{
      {std::regex(R"(^features\.init_block\.conv\.(.*)$)"), "conv1.$1"},
      {std::regex(R"(^features\.init_block\.bn\.(.*)$)"), "bn1.$1"},
      {std::regex(R"(^features\.stage([1-4])\.unit(\d+)\.body\.conv([12])\.bn\.(.*)$)"),
       "layer$1.#$2.bn$3.$4"},
      {std::regex(R"(^features\.stage([1-4])\.unit(\d+)\.body\.conv([12])\.conv\.(.*)$)"),
       "layer$1.#$2.conv$3.$4"},
      {std::regex(R"(^features\.stage([1-4])\.unit(\d+)\.identity_conv\.(.*)$)"),
       "layer$1.#$2.shortcut.$3"},
      {std::regex(R"(^features\.post_activ\.bn\.(.*)$)"), "bn_final.$1"},
      {std::regex(R"(^output\.(.*)$)"), "fc.$1"},
  };
  static const auto* none = new std::vector<Rule>;
  switch (layout) {
    case CheckpointLayout::kTimmLegacySenet:
      return *legacy_senet;
    case CheckpointLayout::kPytorchcvPreResNet:
      return *pytorchcv_preresnet;
    default:
      return *none;
  }
}

}  // namespace

std::string LayoutName(CheckpointLayout layout) {
  switch (layout) {
    case CheckpointLayout::kAuto:
      return "auto";
    case CheckpointLayout::kNative:
      return "native";
    case CheckpointLayout::kTimmLegacySenet:
      return "timm_legacy_senet";
    case CheckpointLayout::kPytorchcvPreResNet:
      return "pytorchcv_preresnet";
  }
  return "?";
}

bool ParseLayout(const std::string& name, CheckpointLayout* layout) {
  for (CheckpointLayout l :
       {CheckpointLayout::kAuto, CheckpointLayout::kNative, CheckpointLayout::kTimmLegacySenet,
        CheckpointLayout::kPytorchcvPreResNet}) {
    if (LayoutName(l) == name) {
      *layout = l;
      return true;
    }
  }
  return false;
}

CheckpointLayout DetectLayout(const std::vector<std::string>& names) {
  for (std::string name : names) {
    if (StartsWith(name, kDataParallelPrefix)) name = name.substr(sizeof(kDataParallelPrefix) - 1);
    if (StartsWith(name, "features.init_block.")) return CheckpointLayout::kPytorchcvPreResNet;
    if (StartsWith(name, "layer0.")) return CheckpointLayout::kTimmLegacySenet;
  }
  return CheckpointLayout::kNative;
}

std::string TranslateName(const std::string& raw_name, CheckpointLayout layout) {
  std::string name = raw_name;
  if (StartsWith(name, kDataParallelPrefix)) name = name.substr(sizeof(kDataParallelPrefix) - 1);
  for (const Rule& rule : RulesFor(layout)) {
    if (!std::regex_match(name, rule.pattern)) continue;
    std::string out = std::regex_replace(name, rule.pattern, rule.replacement);
    // "#U" marks a 1-based unit number: our blocks count from 0.
    const size_t hash = out.find('#');
    if (hash != std::string::npos) {
      size_t end = hash + 1;
      while (end < out.size() && std::isdigit(static_cast<unsigned char>(out[end]))) ++end;
      const int unit = std::stoi(out.substr(hash + 1, end - hash - 1));
      out = out.substr(0, hash) + std::to_string(unit - 1) + out.substr(end);
    }
    return out;
  }
  return name;
}

std::string ImportReport::Summary() const {
  std::ostringstream out;
  out << "layout " << LayoutName(layout) << ": copied " << copied.size() << " tensors; "
      << missing.size() << " missing, " << unexpected.size() << " unexpected, " << mis_shaped.size()
      << " mis-shaped, " << skipped_classifier.size()
      << " classifier tensors skipped (shape differs), " << missing_counters.size()
      << " BatchNorm counters defaulted to 0\n";
  if (!missing.empty()) out << "missing: " << Join(missing) << "\n";
  if (!unexpected.empty()) out << "unexpected: " << Join(unexpected) << "\n";
  if (!mis_shaped.empty()) out << "mis-shaped: " << JoinMismatches(mis_shaped) << "\n";
  if (!skipped_classifier.empty()) {
    out << "classifier skipped: " << JoinMismatches(skipped_classifier) << "\n";
  }
  for (const std::string& note : notes) out << "note: " << note << "\n";
  return out.str();
}

ImportReport ImportStateDict(const StateDict& checkpoint, torch::nn::Module& module,
                             const std::string& classifier_prefix, const ImportOptions& options) {
  return Match(checkpoint, module, classifier_prefix, options, /*copy=*/true);
}

std::string ClassifierPrefix(Backbone& backbone) {
  const torch::Tensor weight = backbone.ClassifierWeight();
  for (const auto& item : backbone.named_parameters(/*recurse=*/true)) {
    if (item.value().data_ptr() == weight.data_ptr() && item.value().numel() == weight.numel()) {
      const std::string& name = item.key();
      return name.substr(0, name.rfind('.') + 1);
    }
  }
  return "";
}

ImportReport ImportCheckpoint(const std::string& path, Backbone& backbone,
                              const ImportOptions& options) {
  StateDict state = ReadStateDict(path);
  CheckpointLayout layout = options.layout;
  if (layout == CheckpointLayout::kAuto) {
    std::vector<std::string> names;
    for (const auto& [name, tensor] : state) names.push_back(name);
    layout = DetectLayout(names);
  }
  // Translated names; an unexpected tensor is reported as "ours (theirs)".
  std::map<std::string, std::string> original;
  for (auto& [name, tensor] : state) {
    const std::string ours = TranslateName(name, layout);
    if (ours != name) original[ours] = name;
    name = ours;
  }
  ImportReport report = ImportStateDict(state, backbone, ClassifierPrefix(backbone), options);
  report.layout = layout;
  for (std::string& name : report.unexpected) {
    auto it = original.find(name);
    if (it != original.end()) name += " (" + it->second + ")";
  }
  if (layout == CheckpointLayout::kTimmLegacySenet) {
    report.notes.push_back(
        "Cadene's SE-ResNet-50 (timm legacy_seresnet50) strides its 1x1 conv1 and pools "
        "without padding; ours, like timm's seresnet50, strides the 3x3 conv2: the weights "
        "fit, but they were trained in a slightly different network. Prefer timm's "
        "seresnet50 weights where you have them.");
  }
  return report;
}

StateDict ModuleStateDict(const torch::nn::Module& module) {
  // Module by module, parameters then buffers: the order of Python's state_dict().
  StateDict state;
  for (const auto& item : module.named_modules(/*name_prefix=*/"", /*include_self=*/true)) {
    const std::string prefix = item.key().empty() ? "" : item.key() + ".";
    for (const auto& p : item.value()->named_parameters(/*recurse=*/false)) {
      state.emplace_back(prefix + p.key(), p.value());
    }
    for (const auto& b : item.value()->named_buffers(/*recurse=*/false)) {
      state.emplace_back(prefix + b.key(), b.value());
    }
  }
  return state;
}

void SaveBackboneWeights(const torch::nn::Module& module, const std::string& path) {
  WriteStateDict(ModuleStateDict(module), path);
}

void LoadBackboneWeights(torch::nn::Module& module, const std::string& path) {
  const StateDict state = ReadStateDict(path);
  const ImportOptions exact{.skip_mismatched_classifier = false, .strict = true};
  const ImportReport check = Match(state, module, "", exact, /*copy=*/false);
  TORCH_CHECK(check.ok && check.unexpected.empty() && check.missing_counters.empty(), path,
              ": does not match the module: ", check.Summary());
  Match(state, module, "", exact, /*copy=*/true);
}

}  // namespace wsol::backbones
