#include "paper_tables/lib/table_grid.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "wsol/util/status_macros.h"

namespace wsol::tables {
namespace {

// The keys of one cell: "{axis}", "{axis.label}" and every value's vars.
using Keys = std::map<std::string, std::string>;

absl::StatusOr<Keys> CellKeys(const proto::TableGrid& grid, const std::vector<int>& index) {
  Keys keys;
  for (int a = 0; a < grid.axis_size(); ++a) {
    const proto::GridAxis& axis = grid.axis(a);
    const proto::GridValue& value = axis.value(index[a]);
    keys[axis.name()] = value.name();
    keys[axis.name() + ".label"] = value.has_label() ? value.label() : value.name();
    for (const auto& [key, text] : value.var()) {
      if (auto [it, added] = keys.emplace(key, text); !added && it->second != text) {
        return absl::InvalidArgumentError(absl::StrCat("var \"", key, "\" is \"", it->second,
                                                       "\" and \"", text, "\" in one cell"));
      }
    }
  }
  return keys;
}

// Fills "{key}" from `keys`; an unknown key is an error listing the known ones.
absl::StatusOr<std::string> Fill(const std::string& pattern, const Keys& keys) {
  std::string out;
  for (size_t i = 0; i < pattern.size();) {
    if (pattern[i] != '{') {
      out += pattern[i++];
      continue;
    }
    const size_t close = pattern.find('}', i);
    if (close == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("pattern \"", pattern, "\": unclosed {"));
    }
    const std::string key = pattern.substr(i + 1, close - i - 1);
    auto it = keys.find(key);
    if (it == keys.end()) {
      std::vector<std::string> known;
      for (const auto& [k, v] : keys) known.push_back(k);
      // A text-format body such as "{ lambda: 1e-3 }" or "{}" is not a key: keep it.
      if (key.empty() ||
          key.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.") != std::string::npos) {
        out += pattern.substr(i, close - i + 1);
        i = close + 1;
        continue;
      }
      return absl::InvalidArgumentError(absl::StrCat("pattern \"", pattern, "\": no key {", key,
                                                     "}; keys: ", absl::StrJoin(known, ", ")));
    }
    out += it->second;
    i = close + 1;
  }
  return out;
}

absl::Status AddCell(const proto::TableGrid& grid, const std::vector<int>& index,
                     proto::TableSpec* table) {
  WSOL_ASSIGN_OR_RETURN(const Keys keys, CellKeys(grid, index));
  proto::TableRun& run = *table->add_runs();
  auto fill_all = [&](const auto& patterns, auto add) -> absl::Status {
    for (const std::string& pattern : patterns) {
      WSOL_ASSIGN_OR_RETURN(std::string filled, Fill(pattern, keys));
      add(std::move(filled));
    }
    return absl::OkStatus();
  };
  auto add_fragment = [&](std::string f) { run.add_fragment(std::move(f)); };
  auto add_set = [&](std::string s) { run.add_set(std::move(s)); };
  WSOL_RETURN_IF_ERROR(fill_all(grid.fragment(), add_fragment));
  WSOL_RETURN_IF_ERROR(fill_all(grid.set(), add_set));
  for (int a = 0; a < grid.axis_size(); ++a) {
    const proto::GridValue& value = grid.axis(a).value(index[a]);
    WSOL_RETURN_IF_ERROR(fill_all(value.fragment(), add_fragment));
    WSOL_RETURN_IF_ERROR(fill_all(value.set(), add_set));
  }
  if (grid.has_name()) {
    WSOL_ASSIGN_OR_RETURN(std::string name, Fill(grid.name(), keys));
    run.add_set(absl::StrCat("name=\"", name, "\""));
  }
  const std::pair<const std::string*, std::string*> patterns[] = {
      {&grid.label(), run.mutable_label()},
      {&grid.group(), run.mutable_group()},
      {&grid.variant(), run.mutable_variant()},
      {&grid.setting(), run.mutable_setting()}};
  for (const auto& [pattern, field] : patterns) {
    WSOL_ASSIGN_OR_RETURN(*field, Fill(*pattern, keys));
  }
  if (!grid.has_setting()) run.clear_setting();
  if (!grid.has_group()) run.clear_group();
  if (!grid.has_variant()) run.clear_variant();
  return absl::OkStatus();
}

absl::Status ExpandGrid(const proto::TableGrid& grid, proto::TableSpec* table) {
  if (grid.axis_size() == 0) return absl::InvalidArgumentError("a grid needs at least one axis");
  for (const proto::GridAxis& axis : grid.axis()) {
    if (axis.name().empty() || axis.value_size() == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "axis \"", axis.name(), "\": every axis needs a name and at least one value"));
    }
  }
  std::vector<int> index(grid.axis_size(), 0);
  while (true) {
    WSOL_RETURN_IF_ERROR(AddCell(grid, index, table));
    int a = grid.axis_size() - 1;  // The last axis moves fastest.
    while (a >= 0 && ++index[a] == grid.axis(a).value_size()) index[a--] = 0;
    if (a < 0) return absl::OkStatus();
  }
}

}  // namespace

absl::Status ExpandGrids(const std::string& source, proto::TableSpec* table) {
  for (int g = 0; g < table->grid_size(); ++g) {
    absl::Status expanded = ExpandGrid(table->grid(g), table);
    if (!expanded.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": grid ", g + 1, ": ", expanded.message()));
    }
  }
  table->clear_grid();
  return absl::OkStatus();
}

}  // namespace wsol::tables
