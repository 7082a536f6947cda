#include "wsol/regularizers/regularizer_builder.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "wsol/regularizers/regularizer_registry.h"

namespace wsol::regularizers {

absl::StatusOr<std::unique_ptr<Regularizer>> BuildRegularizer(const proto::Regularizer& spec) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* reflection = spec.GetReflection();
  const FieldDescriptor* chosen =
      reflection->GetOneofFieldDescriptor(spec, spec.GetDescriptor()->FindOneofByName("regularizer"));
  if (chosen == nullptr) return CreateRegularizer("none");
  const RegularizerEntry* entry = nullptr;
  for (const RegularizerEntry& e : RegularizerTable()) {
    if (e.name == chosen->name()) entry = &e;
  }
  if (entry == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat("regularizer.", chosen->name(), " has no entry in the regularizer table"));
  }
  double weight = 0.0;
  if (!entry->weight_name.empty()) {
    const google::protobuf::Message& params = reflection->GetMessage(spec, chosen);
    const FieldDescriptor* field = params.GetDescriptor()->FindFieldByName(entry->weight_name);
    if (field == nullptr || field->cpp_type() != FieldDescriptor::CPPTYPE_FLOAT) {
      return absl::InternalError(absl::StrCat("regularizer.", chosen->name(),
                                              " has no float field ", entry->weight_name));
    }
    weight = params.GetReflection()->GetFloat(params, field);
  }
  return entry->make(weight);
}

}  // namespace wsol::regularizers
