#include "wsol/train/run_folder.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
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
      "val_localization,val_entropy,seconds,train_entropy,train_classification,"
      "train_off_target_mass,regularizer_gradient_ratio\n";
  // An epoch that was not observed (evaluation.observe_every_epochs) leaves the columns
  // of what scoring observes empty.
  const auto observed = [](const proto::EpochRecord& r, const char* format, double value) {
    return r.has_val_localization() ? absl::StrFormat(format, value) : std::string();
  };
  for (const proto::EpochRecord& r : history) {
    absl::StrAppend(&csv,
                    absl::StrFormat("%d,%.6g,%.8f,%.8g,%.6f,", r.epoch(), r.learning_rate(),
                                    r.train_loss(), r.train_regularization(), r.train_top1()));
    absl::StrAppend(&csv, observed(r, "%.6f", r.val_top1_cls()), ",",
                    observed(r, "%.6f", r.val_localization()), ",",
                    observed(r, "%.8f", r.val_entropy()), ",", absl::StrFormat("%.2f", r.seconds()),
                    ",", observed(r, "%.8f", r.train_entropy()));
    // Histories from before the diagnostics keep their ten columns.
    if (r.has_train_classification()) {
      absl::StrAppend(&csv, absl::StrFormat(",%.8f,", r.train_classification()),
                      observed(r, "%.8g", r.train_off_target_mass()),
                      absl::StrFormat(",%.8g", r.regularizer_gradient_ratio()));
    }
    csv += "\n";
  }
  return csv;
}

std::vector<proto::EpochRecord> RunFolder::ParseHistoryCsv(const std::string& csv) {
  std::vector<proto::EpochRecord> history;
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(lines[i], ',');
    // Nine columns in histories written before train_entropy was recorded, ten before the
    // regularizer diagnostics.
    if (f.size() != 9 && f.size() != 10 && f.size() != 13) continue;
    double v[13] = {};
    // An empty cell: an epoch that was not observed.
    const bool observed = !f[6].empty();
    for (size_t k = 0; k < f.size(); ++k) v[k] = f[k].empty() ? 0 : std::stod(f[k]);
    proto::EpochRecord& r = history.emplace_back();
    r.set_epoch(static_cast<int>(v[0]));
    r.set_learning_rate(v[1]);
    r.set_train_loss(v[2]);
    r.set_train_regularization(v[3]);
    r.set_train_top1(v[4]);
    if (observed) {
      r.set_val_top1_cls(v[5]);
      r.set_val_localization(v[6]);
      r.set_val_entropy(v[7]);
    }
    r.set_seconds(v[8]);
    if (f.size() >= 10 && observed) r.set_train_entropy(v[9]);
    if (f.size() == 13) {
      r.set_train_classification(v[10]);
      if (observed) r.set_train_off_target_mass(v[11]);
      r.set_regularizer_gradient_ratio(v[12]);
    }
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
  absl::StatusOr<std::string> text = ReadRegularFile(path, "results file");
  if (absl::IsNotFound(text.status())) {
    return absl::NotFoundError(absl::StrCat(path, ": no results"));
  }
  if (!text.ok()) return absl::DataLossError(text.status().message());
  proto::RunResults results;
  auto status = google::protobuf::util::JsonStringToMessage(*text, &results);
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat(path, ": ", std::string(status.message())));
  }
  return results;
}

namespace {

// Collects the problems of one results file, each naming its field.
class ResultChecker {
 public:
  void Percent(const std::string& field, bool present, double value) {
    if (!present) {
      problems_.push_back(field + " is missing");
    } else if (!(value >= 0 && value <= 100)) {
      problems_.push_back(absl::StrCat(field, " = ", value, ": expected a percentage in [0, 100]"));
    }
  }
  void Entropy(const std::string& field, bool present, double value) {
    if (!present) {
      problems_.push_back(field + " is missing");
    } else if (!(std::isfinite(value) && value >= 0)) {
      problems_.push_back(absl::StrCat(field, " = ", value, ": expected a finite entropy >= 0"));
    }
  }
  void Check(bool ok, const std::string& problem) {
    if (!ok) problems_.push_back(problem);
  }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

}  // namespace

absl::Status ValidateResults(const proto::RunResults& results, const std::string& fingerprint) {
  ResultChecker c;
  c.Check(
      results.spec_fingerprint() == fingerprint,
      absl::StrCat("spec_fingerprint = \"", results.spec_fingerprint(),
                   "\": these are the results of another spec (this run's is ", fingerprint, ")"));
  const proto::SplitMetrics& t = results.test();
  c.Check(results.has_test() && t.images() > 0, "test is missing or scored no image");
  c.Percent("test.top1_cls", t.has_top1_cls(), t.top1_cls());
  c.Entropy("test.mean_entropy", t.has_mean_entropy(), t.mean_entropy());
  if (t.has_boxes()) {
    c.Percent("test.top1_loc", t.has_top1_loc(), t.top1_loc());
    c.Percent("test.gt_known_loc", t.has_gt_known_loc(), t.gt_known_loc());
    c.Percent("test.top1_loc_best", t.has_top1_loc_best(), t.top1_loc_best());
    c.Percent("test.gt_known_loc_best", t.has_gt_known_loc_best(), t.gt_known_loc_best());
    c.Percent("test.max_box_acc", t.has_max_box_acc(), t.max_box_acc());
    c.Percent("test.max_box_acc_v2", t.has_max_box_acc_v2(), t.max_box_acc_v2());
    c.Check(t.best_threshold() >= 0 && t.best_threshold() <= 1,
            absl::StrCat("test.best_threshold = ", t.best_threshold(), ": expected [0, 1]"));
    for (int i = 0; i < t.max_box_acc_v2_per_iou_size(); ++i) {
      c.Percent(absl::StrCat("test.max_box_acc_v2_per_iou[", i, "]"), true,
                t.max_box_acc_v2_per_iou(i));
    }
  }
  if (t.has_masks()) c.Percent("test.pxap", t.has_pxap(), t.pxap());
  if (t.has_mpxap()) c.Percent("test.mpxap", true, t.mpxap());
  c.Check(results.history_size() > 0, "history is empty (no epoch was recorded)");
  for (int i = 0; i < results.history_size(); ++i) {
    const proto::EpochRecord& r = results.history(i);
    const std::string at = absl::StrCat("history[", i, "].");
    c.Check(std::isfinite(r.train_loss()), at + "train_loss is not finite");
    c.Percent(at + "train_top1", true, r.train_top1());
    // Epochs between observations (evaluation.observe_every_epochs) have no scores.
    if (r.has_val_localization()) {
      c.Percent(at + "val_top1_cls", true, r.val_top1_cls());
      c.Percent(at + "val_localization", true, r.val_localization());
      c.Entropy(at + "val_entropy", true, r.val_entropy());
    }
    if (r.has_train_entropy()) c.Entropy(at + "train_entropy", true, r.train_entropy());
  }
  if (results.history_size() > 0) {
    c.Check(results.history().rbegin()->has_val_localization(),
            "history's last epoch was not scored (the last epoch is always observed)");
  }
  if (c.problems().empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(c.problems(), "; "));
}

absl::StatusOr<proto::RunResults> ReadVerifiedResults(const std::string& run_dir,
                                                      const std::string& fingerprint) {
  absl::StatusOr<proto::RunResults> results = ReadResults(run_dir);
  if (!results.ok()) return results;
  if (absl::Status valid = ValidateResults(*results, fingerprint); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat((fs::path(run_dir) / "results.json").string(),
                                                   ": not this run's result: ", valid.message()));
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
