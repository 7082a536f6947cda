#include "wsol/backbones/weight_import.h"

#include <map>
#include <set>
#include <sstream>
#include <utility>

#include <torch/torch.h>

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
                   const std::string& classifier_prefix, const ImportOptions& options,
                   bool copy) {
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
  report.ok = report.mis_shaped.empty() && (!options.strict || report.missing.empty());
  return report;
}

}  // namespace

std::string ImportReport::Summary() const {
  std::ostringstream out;
  out << "copied " << copied.size() << " tensors; " << missing.size() << " missing, "
      << unexpected.size() << " unexpected, " << mis_shaped.size() << " mis-shaped, "
      << skipped_classifier.size() << " classifier tensors skipped (shape differs), "
      << missing_counters.size() << " BatchNorm counters defaulted to 0\n";
  if (!missing.empty()) out << "missing: " << Join(missing) << "\n";
  if (!unexpected.empty()) out << "unexpected: " << Join(unexpected) << "\n";
  if (!mis_shaped.empty()) out << "mis-shaped: " << JoinMismatches(mis_shaped) << "\n";
  if (!skipped_classifier.empty()) {
    out << "classifier skipped: " << JoinMismatches(skipped_classifier) << "\n";
  }
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
  return ImportStateDict(ReadStateDict(path), backbone, ClassifierPrefix(backbone), options);
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
