#include "baselines/method_builder.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "baselines/method_registry.h"
#include "google/protobuf/descriptor.h"

namespace wsol::baselines {

absl::StatusOr<std::shared_ptr<methods::Method>> BuildMethod(const proto::Method& spec) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* reflection = spec.GetReflection();
  const FieldDescriptor* chosen =
      reflection->GetOneofFieldDescriptor(spec, spec.GetDescriptor()->FindOneofByName("method"));
  const std::string name = chosen == nullptr ? "cam" : chosen->name();
  MethodParams params;
  if (chosen != nullptr) {
    const google::protobuf::Message& message = reflection->GetMessage(spec, chosen);
    const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const FieldDescriptor* field = descriptor->field(i);
      const google::protobuf::Reflection* r = message.GetReflection();
      switch (field->cpp_type()) {
        case FieldDescriptor::CPPTYPE_FLOAT: params[field->name()] = r->GetFloat(message, field); break;
        case FieldDescriptor::CPPTYPE_DOUBLE: params[field->name()] = r->GetDouble(message, field); break;
        case FieldDescriptor::CPPTYPE_INT32: params[field->name()] = r->GetInt32(message, field); break;
        case FieldDescriptor::CPPTYPE_INT64: params[field->name()] = static_cast<double>(r->GetInt64(message, field)); break;
        case FieldDescriptor::CPPTYPE_BOOL: params[field->name()] = r->GetBool(message, field) ? 1.0 : 0.0; break;
        default:
          return absl::InternalError(absl::StrCat("method.", name, ".", field->name(),
                                                  ": unsupported field type"));
      }
    }
  }
  try {
    return CreateMethod(name, params);
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat("method.", name, ": ", e.what_without_backtrace()));
  }
}

}  // namespace wsol::baselines
