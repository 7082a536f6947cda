#include "wsol/train/results_io.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "wsol/util/file_io.h"

namespace wsol::train {

namespace fs = std::filesystem;

absl::StatusOr<proto::RunResults> ReadResults(const std::string& run_dir) {
  const std::string path = (fs::path(run_dir) / "results.json").string();
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": no results"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  proto::RunResults results;
  auto status = google::protobuf::util::JsonStringToMessage(buffer.str(), &results);
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat(path, ": ", std::string(status.message())));
  }
  return results;
}

absl::Status WriteResults(const proto::RunResults& results, const std::string& run_dir) {
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = true;
  print.preserve_proto_field_names = true;
  auto status = google::protobuf::util::MessageToJsonString(results, &json, print);
  if (!status.ok()) return absl::InternalError(std::string(status.message()));
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat(run_dir, ": ", ec.message()));
  return WriteFileAtomically((fs::path(run_dir) / "results.json").string(), json);
}

}  // namespace wsol::train
