#include "wsol/spec/compose.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/util/file_io.h"
#include "wsol/util/status_macros.h"

namespace wsol::spec {
namespace {

namespace fs = std::filesystem;
using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;
using ::google::protobuf::TextFormat;

std::string Join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : absl::StrCat(prefix, ".", name);
}

// True when `path` is `ancestor` or lies below it.
bool Under(const std::string& path, const std::string& ancestor) {
  return path == ancestor || absl::StartsWith(path, ancestor + ".");
}

bool Covered(const std::vector<std::string>& overrides, const std::string& path) {
  return std::any_of(overrides.begin(), overrides.end(),
                     [&](const std::string& o) { return Under(path, o); });
}

// The value of a singular or repeated field as text, for comparison and messages.
std::string FieldText(const Message& message, const FieldDescriptor* field) {
  const Reflection* reflection = message.GetReflection();
  std::string out;
  if (!field->is_repeated()) {
    TextFormat::PrintFieldValueToString(message, field, -1, &out);
    return out;
  }
  std::vector<std::string> items;
  for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
    std::string item;
    TextFormat::PrintFieldValueToString(message, field, i, &item);
    items.push_back(item);
  }
  return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
}

// Each entry of `overrides` must name a field of Experiment.
absl::Status CheckOverridePaths(const proto::Experiment& fragment, const std::string& file) {
  for (const std::string& path : fragment.overrides()) {
    const Descriptor* descriptor = proto::Experiment::descriptor();
    for (const std::string& part : std::vector<std::string>(absl::StrSplit(path, '.'))) {
      const FieldDescriptor* field =
          descriptor == nullptr ? nullptr : descriptor->FindFieldByName(part);
      if (field == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(file, ": overrides \"", path, "\": no such field (\"", part, "\")"));
      }
      descriptor = field->message_type();
    }
  }
  return absl::OkStatus();
}

class Composer {
 public:
  explicit Composer(std::string workspace_root) : root_(std::move(workspace_root)) {}

  // Merges the file at `path` (its bases first). `shown` is how sources name it.
  absl::Status MergeFile(const std::string& path, const std::string& shown) {
    if (std::find(chain_.begin(), chain_.end(), shown) != chain_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("base cycle: ", absl::StrJoin(chain_, " -> "), " -> ", shown));
    }
    WSOL_ASSIGN_OR_RETURN(const std::string text, ReadRegularFile(path, "spec file"));
    WSOL_ASSIGN_OR_RETURN(const proto::Experiment fragment, ParseExperiment(text, shown));
    WSOL_RETURN_IF_ERROR(CheckOverridePaths(fragment, shown));
    chain_.push_back(shown);
    for (const std::string& base : fragment.base()) {
      const std::string full = root_.empty() ? base : (fs::path(root_) / base).string();
      std::error_code ec;
      if (!fs::exists(full, ec)) {
        return absl::NotFoundError(
            absl::StrCat(shown, ": base \"", base, "\": no such file ", full,
                         " (base paths are relative to the workspace root)"));
      }
      WSOL_RETURN_IF_ERROR(MergeFile(full, base));
    }
    chain_.pop_back();
    const std::vector<std::string> overrides(fragment.overrides().begin(),
                                             fragment.overrides().end());
    return Merge(fragment, &composed_.experiment, "", shown, overrides);
  }

  absl::Status Assign(const Assignment& assignment) {
    WSOL_RETURN_IF_ERROR(ApplyOverride(assignment.first, &composed_.experiment));
    const std::string path(
        absl::StripAsciiWhitespace(assignment.first.substr(0, assignment.first.find('='))));
    EraseSourcesUnder(path);
    composed_.sources[path] = assignment.second;
    return absl::OkStatus();
  }

  ComposedExperiment Finish() {
    // A oneof member replaced by an assignment leaves the old member's source behind.
    for (auto it = composed_.sources.begin(); it != composed_.sources.end();) {
      it = IsSet(it->first) ? std::next(it) : composed_.sources.erase(it);
    }
    return std::move(composed_);
  }

 private:
  absl::Status Conflict(const std::string& source, const std::string& path,
                        const std::string& value, const std::string& earlier_path,
                        const std::string& earlier_value) const {
    auto earlier = composed_.sources.find(earlier_path);
    const std::string by =
        earlier == composed_.sources.end() ? "an earlier fragment" : earlier->second;
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": sets ", path, " = ", value, " but ", by, " set ", earlier_path,
                     " = ", earlier_value, "; if ", source,
                     " means to replace it, add overrides: \"", path, "\" to it"));
  }

  absl::Status Merge(const Message& from, Message* to, const std::string& prefix,
                     const std::string& source, const std::vector<std::string>& overrides) {
    const Reflection* in = from.GetReflection();
    const Reflection* out = to->GetReflection();
    std::vector<const FieldDescriptor*> fields;
    in->ListFields(from, &fields);
    for (const FieldDescriptor* field : fields) {
      if (prefix.empty() && (field->name() == "base" || field->name() == "overrides")) continue;
      const std::string path = Join(prefix, field->name());
      const bool replace = Covered(overrides, path);
      if (const auto* oneof = field->containing_oneof(); oneof != nullptr) {
        const FieldDescriptor* current = out->GetOneofFieldDescriptor(*to, oneof);
        if (current != nullptr && current != field) {
          const std::string current_path = Join(prefix, current->name());
          if (!replace && !Covered(overrides, current_path)) {
            return Conflict(source, path, FieldText(from, field), current_path,
                            FieldText(*to, current));
          }
          out->ClearOneof(to, oneof);
          EraseSourcesUnder(current_path);
        }
      }
      if (replace && (field->is_repeated() || out->HasField(*to, field))) {
        out->ClearField(to, field);
        EraseSourcesUnder(path);
      }
      if (field->is_repeated() || field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
        const bool set_before =
            field->is_repeated() ? out->FieldSize(*to, field) > 0 : out->HasField(*to, field);
        if (set_before && FieldText(from, field) != FieldText(*to, field)) {
          return Conflict(source, path, FieldText(from, field), path, FieldText(*to, field));
        }
        if (!set_before) {
          CopyField(from, field, to);
          composed_.sources[path] = source;
        }
        continue;
      }
      if (!out->HasField(*to, field)) composed_.sources[path] = source;
      WSOL_RETURN_IF_ERROR(Merge(in->GetMessage(from, field), out->MutableMessage(to, field), path,
                                 source, overrides));
    }
    return absl::OkStatus();
  }

  // Sets `field` of `to` (unset there) to its value in `from`.
  static void CopyField(const Message& from, const FieldDescriptor* field, Message* to) {
    std::unique_ptr<Message> copy(from.New());
    copy->CopyFrom(from);
    to->GetReflection()->SwapFields(copy.get(), to, {field});
  }

  void EraseSourcesUnder(const std::string& path) {
    for (auto it = composed_.sources.begin(); it != composed_.sources.end();) {
      it = Under(it->first, path) ? composed_.sources.erase(it) : std::next(it);
    }
  }

  bool IsSet(const std::string& path) const {
    const Message* message = &composed_.experiment;
    const std::vector<std::string> parts = absl::StrSplit(path, '.');
    for (size_t i = 0; i < parts.size(); ++i) {
      const FieldDescriptor* field = message->GetDescriptor()->FindFieldByName(parts[i]);
      if (field == nullptr) return false;
      const Reflection* reflection = message->GetReflection();
      if (field->is_repeated()) return reflection->FieldSize(*message, field) > 0;
      if (!reflection->HasField(*message, field)) return false;
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        message = &reflection->GetMessage(*message, field);
      } else if (i + 1 < parts.size()) {
        return false;
      }
    }
    return true;
  }

  std::string root_;
  std::vector<std::string> chain_;
  ComposedExperiment composed_;
};

// The shown name of a fragment: relative to the workspace root when under it.
std::string Shown(const std::string& path, const std::string& workspace_root) {
  if (workspace_root.empty()) return path;
  std::string prefix = workspace_root;
  if (!absl::EndsWith(prefix, "/")) prefix += "/";
  return absl::StartsWith(path, prefix) ? path.substr(prefix.size()) : path;
}

void Describe(const Message& message, const std::string& prefix,
              const std::map<std::string, std::string>& sources, std::string* out) {
  std::vector<const FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string path = Join(prefix, field->name());
    std::string source;
    for (const auto& [p, s] : sources) {
      if (Under(path, p)) source = s;  // The map is sorted: the deepest match comes last.
    }
    const bool leaf = field->is_repeated() || field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE;
    const Message* child = leaf ? nullptr : &message.GetReflection()->GetMessage(message, field);
    std::vector<const FieldDescriptor*> child_fields;
    if (child != nullptr) child->GetReflection()->ListFields(*child, &child_fields);
    if (leaf || child_fields.empty()) {
      absl::StrAppend(out, path, ": ", leaf ? FieldText(message, field) : "{}", "  # ", source,
                      "\n");
    } else {
      Describe(*child, path, sources, out);
    }
  }
}

}  // namespace

absl::StatusOr<ComposedExperiment> ComposeExperiment(const std::vector<std::string>& fragments,
                                                     const std::vector<Assignment>& assignments,
                                                     const std::string& workspace_root) {
  Composer composer(workspace_root);
  for (const std::string& fragment : fragments) {
    WSOL_RETURN_IF_ERROR(composer.MergeFile(fragment, Shown(fragment, workspace_root)));
  }
  for (const Assignment& assignment : assignments) {
    WSOL_RETURN_IF_ERROR(composer.Assign(assignment));
  }
  return composer.Finish();
}

std::string DescribeSources(const ComposedExperiment& composed) {
  std::string out;
  Describe(composed.experiment, "", composed.sources, &out);
  return out;
}

}  // namespace wsol::spec
