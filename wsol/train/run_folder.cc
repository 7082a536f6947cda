#include "wsol/train/run_folder.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/util/file_io.h"

namespace wsol::train {

namespace fs = std::filesystem;

std::string RunFolder::PathFor(const proto::Experiment& spec, const std::string& cache_dir) {
  if (!spec.runtime().output_dir().empty()) return spec.runtime().output_dir();
  return PathForFingerprint(cache_dir, spec::ResultFingerprint(spec));
}

std::string RunFolder::PathForFingerprint(const std::string& cache_dir,
                                          const std::string& fingerprint) {
  return (fs::path(cache_dir) / "runs" / fingerprint).string();
}

std::string RunFolder::checkpoint() const { return (fs::path(path_) / "checkpoint.pt").string(); }
std::string RunFolder::best_model() const { return (fs::path(path_) / "best_model.pt").string(); }
std::string RunFolder::scoremaps() const { return (fs::path(path_) / "scoremaps").string(); }

std::string RunFolder::lock() const { return (fs::path(path_) / "run.lock").string(); }

absl::Status RunFolder::Create() const {
  std::error_code ec;
  fs::create_directories(path_, ec);
  if (ec) return absl::InternalError(absl::StrCat(path_, ": ", ec.message()));
  return absl::OkStatus();
}

absl::Status RunFolder::WriteSpec(const proto::Experiment& spec) const {
  return WriteFileAtomically((fs::path(path_) / "spec.pbtxt").string(), spec.DebugString());
}

std::string RunFolder::HistoryCsv(const std::vector<proto::EpochRecord>& history) {
  std::string csv =
      "epoch,learning_rate,train_loss,train_regularization,train_top1,val_top1_cls,"
      "val_localization,val_entropy,seconds,train_entropy\n";
  for (const proto::EpochRecord& r : history) {
    absl::StrAppend(&csv, absl::StrFormat("%d,%.6g,%.8f,%.8g,%.6f,%.6f,%.6f,%.8f,%.2f,%.8f\n",
                                          r.epoch(), r.learning_rate(), r.train_loss(),
                                          r.train_regularization(), r.train_top1(),
                                          r.val_top1_cls(), r.val_localization(),
                                          r.val_entropy(), r.seconds(), r.train_entropy()));
  }
  return csv;
}

std::vector<proto::EpochRecord> RunFolder::ParseHistoryCsv(const std::string& csv) {
  std::vector<proto::EpochRecord> history;
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(lines[i], ',');
    // Nine columns in histories written before train_entropy was recorded.
    if (f.size() != 9 && f.size() != 10) continue;
    double v[10] = {};
    for (size_t k = 0; k < f.size(); ++k) v[k] = std::stod(f[k]);
    proto::EpochRecord& r = history.emplace_back();
    r.set_epoch(static_cast<int>(v[0]));
    r.set_learning_rate(v[1]);
    r.set_train_loss(v[2]);
    r.set_train_regularization(v[3]);
    r.set_train_top1(v[4]);
    r.set_val_top1_cls(v[5]);
    r.set_val_localization(v[6]);
    r.set_val_entropy(v[7]);
    r.set_seconds(v[8]);
    if (f.size() == 10) r.set_train_entropy(v[9]);
  }
  return history;
}

absl::Status RunFolder::WriteHistory(const std::vector<proto::EpochRecord>& history) const {
  return WriteFileAtomically((fs::path(path_) / "history.csv").string(), HistoryCsv(history));
}

absl::Status RunFolder::WriteResults(const proto::RunResults& results) const {
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = true;
  print.preserve_proto_field_names = true;
  auto status = google::protobuf::util::MessageToJsonString(results, &json, print);
  if (!status.ok()) return absl::InternalError(std::string(status.message()));
  if (absl::Status created = Create(); !created.ok()) return created;
  return WriteFileAtomically((fs::path(path_) / "results.json").string(), json);
}

absl::StatusOr<proto::RunResults> RunFolder::ReadResults() const {
  const std::string path = (fs::path(path_) / "results.json").string();
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

absl::StatusOr<proto::RunResults> ReadResults(const std::string& run_dir) {
  return RunFolder(run_dir).ReadResults();
}

absl::Status WriteResults(const proto::RunResults& results, const std::string& run_dir) {
  return RunFolder(run_dir).WriteResults(results);
}

}  // namespace wsol::train
