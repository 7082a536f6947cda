#include "wsol/train/results_io.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace wsol::train {

namespace fs = std::filesystem;

absl::Status WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    out.flush();
    if (!out.good()) return absl::InternalError(absl::StrCat(tmp, ": write failed"));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot rename ", tmp, ": ", ec.message()));
  return absl::OkStatus();
}

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
