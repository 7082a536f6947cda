// name_table.h
//
// Lookup by name in a component table (any vector of rows with a `name` member) and the
// message for an unknown name, the same for every table (backbones, methods,
// regularizers). Standard library only, so the modelling core can use it.
//
//   const BackboneEntry* row = FindByName(BackboneTable(), "resnet50");
//   if (row == nullptr) throw ...(UnknownName("backbone", name, BackboneTable()));
//   // unknown backbone "resnet51"; valid backbones: resnet50, vgg16, ...
#ifndef WSOL_UTIL_NAME_TABLE_H_
#define WSOL_UTIL_NAME_TABLE_H_

#include <string>
#include <string_view>
#include <vector>

namespace wsol {

template <typename Row>
const Row* FindByName(const std::vector<Row>& rows, std::string_view name) {
  for (const Row& row : rows) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

// The rows' names, in table order.
template <typename Row>
std::vector<std::string> NamesOf(const std::vector<Row>& rows) {
  std::vector<std::string> names;
  for (const Row& row : rows) names.push_back(std::string(row.name));
  return names;
}

// "unknown <kind> "<name>"; valid <kind>s: a, b, c".
template <typename Row>
std::string UnknownName(std::string_view kind, std::string_view name,
                        const std::vector<Row>& rows) {
  std::string out = "unknown " + std::string(kind) + " \"" + std::string(name) + "\"; valid " +
                    std::string(kind) + "s: ";
  bool first = true;
  for (const Row& row : rows) {
    out += (first ? "" : ", ") + std::string(row.name);
    first = false;
  }
  return out;
}

}  // namespace wsol

#endif  // WSOL_UTIL_NAME_TABLE_H_
