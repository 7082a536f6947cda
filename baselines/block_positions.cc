#include "baselines/block_positions.h"

#include <algorithm>

namespace wsol::baselines {
namespace {

bool Has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Blocks named "<prefix><index>" in execution order (ResNet's "layer3." -> layer3.0, ...).
std::vector<std::string> WithPrefix(const std::vector<std::string>& names,
                                    const std::string& prefix) {
  std::vector<std::string> out;
  for (const std::string& n : names) {
    if (n.rfind(prefix, 0) == 0) out.push_back(n);
  }
  return out;
}

enum class Family { kUnknown, kResNet, kVgg, kInception };

Family Recognize(const std::vector<std::string>& names) {
  if (!WithPrefix(names, "layer3.").empty() && !WithPrefix(names, "layer4.").empty()) {
    return Family::kResNet;
  }
  if (Has(names, "stage3") && Has(names, "conv4_3") && Has(names, "stage4") &&
      Has(names, "stage5") && Has(names, "conv6")) {
    return Family::kVgg;
  }
  if (Has(names, "Mixed_5d") && Has(names, "Mixed_6e") && Has(names, "SPG_A3_2b")) {
    return Family::kInception;
  }
  return Family::kUnknown;
}

}  // namespace

std::vector<std::string> AttentionDropBlocks(const std::vector<std::string>& block_names) {
  switch (Recognize(block_names)) {
    case Family::kResNet: {
      const std::vector<std::string> layer3 = WithPrefix(block_names, "layer3.");
      const std::vector<std::string> layer4 = WithPrefix(block_names, "layer4.");
      std::vector<std::string> out = {layer3.front(), layer4.front()};
      if (layer4.size() > 1) out.push_back(layer4.back());
      return out;
    }
    case Family::kVgg:
      return {"stage3", "conv4_3", "stage5"};
    case Family::kInception:
      return {"Mixed_5d", "Mixed_6e", "SPG_A3_2b"};
    case Family::kUnknown:
      break;
  }
  return {};
}

std::vector<std::string> SpgSideBlocks(const std::vector<std::string>& block_names) {
  switch (Recognize(block_names)) {
    case Family::kResNet: {
      const std::vector<std::string> layer3 = WithPrefix(block_names, "layer3.");
      if (layer3.size() < 2) return {};
      return {layer3.front(), layer3.back()};
    }
    case Family::kVgg:
      return {"stage4", "stage5"};
    case Family::kInception:
      return {"Mixed_5d", "Mixed_6d"};
    case Family::kUnknown:
      break;
  }
  return {};
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace wsol::baselines
