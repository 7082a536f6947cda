#include "paper_tables/lib/table_runner.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "paper_tables/lib/run_cost.h"
#include "paper_tables/lib/seed_stats.h"
#include "paper_tables/lib/table_grid.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/run_folder.h"
#include "wsol/util/file_io.h"
#include "wsol/util/file_lock.h"
#include "wsol/util/status_macros.h"

namespace wsol::tables {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The dry run's "spec" line: the file, or the run's name and the fragments it is made of.
std::string RunSpecText(const proto::TableRun& run, const proto::Experiment& experiment) {
  if (!run.spec().empty()) return run.spec();
  return absl::StrCat(experiment.name(), " = ", absl::StrJoin(run.fragment(), " + "));
}

}  // namespace

absl::StatusOr<proto::TableSpec> LoadTableSpec(const std::string& path) {
  WSOL_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  proto::TableSpec table;
  WSOL_RETURN_IF_ERROR(spec::ParseTextProto(text, path, &table));
  WSOL_RETURN_IF_ERROR(ExpandGrids(path, &table));
  if (table.name().empty())
    return absl::InvalidArgumentError(absl::StrCat(path, ": name is empty"));
  if (table.runs_size() == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": no runs"));
  for (const proto::TableRun& run : table.runs()) {
    if (run.spec().empty() == (run.fragment_size() == 0)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": run \"", run.label(),
                                                     "\": give either spec or fragments, not ",
                                                     run.spec().empty() ? "neither" : "both"));
    }
  }
  for (const std::string& column : table.columns()) {
    if (ColumnTitle(column).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": unknown column \"", column, "\" (a SplitMetrics field)"));
    }
  }
  if (table.has_selection()) {
    const std::string& metric = table.selection().val_metric();
    if (!IsValMetric(metric)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": selection.val_metric \"", metric,
                       "\": expected a score recorded on val: localization, top1_cls or entropy"));
    }
    bool any_pair = false;
    for (const proto::TableRun& er : table.runs()) {
      for (const proto::TableRun& base : table.runs()) {
        any_pair |= er.variant() == "er" && base.variant() == "baseline" && !er.group().empty() &&
                    er.group() == base.group();
      }
    }
    if (!any_pair) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": selection needs a group with a \"baseline\" row and \"er\" rows"));
    }
  }
  return table;
}

absl::StatusOr<std::vector<std::string>> TableNames(const TableOptions& options) {
  const fs::path folder = fs::path(options.workspace_root) / "paper_tables" / "specs" /
                          (options.profile == "paper" ? "paper" : "");
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    return absl::NotFoundError(absl::StrCat(
        "no table specs at ", folder.string(),
        ": run the tables with `bazel run //paper_tables:<table>`, or from the workspace's "
        "root folder"));
  }
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.path().extension() == ".pbtxt") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<proto::TableSpec> LoadTableSpecFor(const std::string& name,
                                                  const TableOptions& options) {
  WSOL_ASSIGN_OR_RETURN(const std::vector<std::string> known, TableNames(options));
  if (std::find(known.begin(), known.end(), name) == known.end()) {
    return absl::NotFoundError(absl::StrCat("unknown table \"", name,
                                            "\" for --profile=", options.profile,
                                            "; known: ", absl::StrJoin(known, ", ")));
  }
  WSOL_ASSIGN_OR_RETURN(
      proto::TableSpec table,
      LoadTableSpec((fs::path(options.workspace_root) / "paper_tables" / "specs" /
                     (options.profile == "paper" ? "paper" : "") / (name + ".pbtxt"))
                        .string()));
  WSOL_RETURN_IF_ERROR(AttachReferences(options.workspace_root, &table));
  return table;
}

absl::Status AttachReferences(const std::string& workspace_root, proto::TableSpec* table) {
  if (table->references().empty()) return absl::OkStatus();
  const std::string path = (fs::path(workspace_root) / table->references()).string();
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_regular_file(path, ec)) {
    // A folder would read as an empty file: no published number, and no word why.
    return absl::InvalidArgumentError(
        absl::StrCat("table ", table->name(), ": references ", path,
                     " is not a regular file (expected a PublishedValues text file)"));
  }
  WSOL_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  proto::PublishedValues values;
  WSOL_RETURN_IF_ERROR(spec::ParseTextProto(text, path, &values));
  for (int i = 0; i < values.value_size(); ++i) {
    const proto::PublishedValue& v = values.value(i);
    const std::string where = absl::StrCat(path, ": value ", i + 1, " (group \"", v.group(), "\")");
    if (v.group().empty() || (v.variant() != "baseline" && v.variant() != "er")) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": needs a group and a variant, \"baseline\" or \"er\""));
    }
    if (ColumnTitle(v.column()).empty() || !v.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": column \"", v.column(), "\" is not a metric column, or the value is missing"));
    }
    if (v.source().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": a published number needs its source"));
    }
    for (proto::TableRun& run : *table->mutable_runs()) {
      if (run.group() == v.group() && run.variant() == v.variant()) *run.add_published() = v;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<PlannedRun>> PlanRuns(const proto::TableSpec& table,
                                                 const TableOptions& options) {
  std::vector<PlannedRun> runs;
  std::vector<uint64_t> seeds(table.seeds().begin(), table.seeds().end());
  if (!options.seeds.empty()) seeds = options.seeds;
  if (seeds.empty()) seeds.push_back(0);
  for (int row = 0; row < table.runs_size(); ++row) {
    const proto::TableRun& run = table.runs(row);
    std::vector<spec::Assignment> assignments;
    for (const std::string& s : table.set()) assignments.emplace_back(s, "the table's set");
    for (const std::string& s : run.set()) assignments.emplace_back(s, "the row's set");
    if (auto tuned = options.tuned.find({run.group(), run.variant()});
        tuned != options.tuned.end()) {
      for (const std::string& s : tuned->second) {
        assignments.emplace_back(s, absl::StrCat("--tuned=", options.tuned_source));
      }
    }
    for (const std::string& s : spec::JoinSplitOverrides(options.extra_set)) {
      assignments.emplace_back(s, "--set");
    }
    assignments.emplace_back(absl::StrCat("runtime.profile=", options.profile), "--profile");
    if (options.device != "auto") {
      assignments.emplace_back("runtime.device=" + options.device, "--device");
    }
    if (options.threads > 0) {
      assignments.emplace_back(absl::StrCat("runtime.threads=", options.threads), "--threads");
    }
    std::vector<std::string> fragments;
    for (const std::string& f :
         run.spec().empty() ? std::vector<std::string>(run.fragment().begin(), run.fragment().end())
                            : std::vector<std::string>{run.spec()}) {
      fragments.push_back((fs::path(options.workspace_root) / f).string());
    }
    for (uint64_t seed : seeds) {
      std::vector<spec::Assignment> with_seed = assignments;
      with_seed.emplace_back(absl::StrCat("runtime.seed=", seed), "the seed");
      absl::StatusOr<spec::ComposedExperiment> composed = spec::LoadComposedExperiment(
          fragments, with_seed, options.workspace_root, options.validators);
      if (!composed.ok()) {
        return absl::Status(composed.status().code(),
                            absl::StrCat("table ", table.name(), ", run \"", run.label(),
                                         "\": ", composed.status().message()));
      }
      proto::Experiment* experiment = &composed->experiment;
      if (auto weights = options.pretrained.find(experiment->backbone().architecture());
          weights != options.pretrained.end()) {
        experiment->mutable_backbone()->set_pretrained_path(weights->second);
        composed->sources["backbone.pretrained_path"] = "--pretrained";
      }
      spec::ResolveSpecPaths(options.workspace_root == "." ? "" : options.workspace_root,
                             &*experiment);
      if (!options.data_root.empty()) {
        proto::Dataset* dataset = experiment->mutable_dataset();
        const std::string root = dataset->root().empty() ? dataset->name() : dataset->root();
        if (fs::path(root).is_relative()) {
          dataset->set_root((fs::path(options.data_root) / root).string());
          composed->sources["dataset.root"] = "--data_root";
        }
      }
      if (experiment->name().empty()) {
        experiment->set_name(run.label());
        composed->sources["name"] = "the row's label";
      }
      PlannedRun planned;
      planned.row = row;
      planned.seed = seed;
      planned.fingerprint = spec::ResultFingerprint(*experiment);
      planned.run_dir =
          train::RunFolder::PathForFingerprint(options.cache_dir, planned.fingerprint);
      experiment->mutable_runtime()->set_output_dir(planned.run_dir);
      composed->sources["runtime.output_dir"] = "the run cache";
      planned.sources = spec::DescribeSources(*composed);
      planned.experiment = std::move(*experiment);
      runs.push_back(std::move(planned));
    }
  }
  return runs;
}

std::vector<std::string> PaperPrerequisites(const std::vector<PlannedRun>& runs,
                                            const TableOptions& options) {
  std::vector<std::string> problems;
  std::error_code ec;
  if (options.data_root.empty() || !fs::is_directory(options.data_root, ec)) {
    problems.push_back(absl::StrCat(
        "--data_root=", options.data_root,
        ": no such folder; prepare the data sets into one with bazel run //datasets:prepare"));
  }
  std::set<std::string> missing_data, missing_weights, random_init;
  for (const PlannedRun& p : runs) {
    const proto::Experiment& e = p.experiment;
    if (!fs::is_directory(e.dataset().root(), ec)) {
      missing_data.insert(absl::StrCat(e.dataset().name(), " (", e.dataset().root(), ")"));
    }
    const std::string& weights = e.backbone().pretrained_path();
    if (weights.empty()) {
      random_init.insert(e.backbone().architecture());
    } else if (!fs::is_regular_file(weights, ec)) {
      missing_weights.insert(absl::StrCat(e.backbone().architecture(), " (", weights, ")"));
    }
  }
  if (!missing_data.empty()) {
    problems.push_back(absl::StrCat(
        "no prepared data set for ", absl::StrJoin(missing_data, ", "),
        ": bazel run //datasets:prepare -- --dataset=NAME --source=DOWNLOAD --out=DATA_ROOT/NAME"));
  }
  if (!missing_weights.empty()) {
    problems.push_back(
        absl::StrCat("pretrained weights not found for ", absl::StrJoin(missing_weights, ", ")));
  }
  if (!random_init.empty() && !options.allow_random_init) {
    problems.push_back(absl::StrCat(
        "no pretrained weights for ", absl::StrJoin(random_init, ", "),
        ": the paper fine-tunes ImageNet weights; give them with --pretrained=ARCH=PATH,... "
        "(import them with bazel run //tools:import_weights), or train from random weights "
        "with --allow_random_init"));
  }
  return problems;
}

double MetricValue(const proto::RunResults& results, const std::string& column) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // The last epoch's diagnostics of the training images (history.csv's columns).
  if (results.history_size() > 0) {
    const proto::EpochRecord& last = *results.history().rbegin();
    if (column == "train_entropy") return last.has_train_entropy() ? last.train_entropy() : nan;
    if (column == "train_top1") return last.has_train_top1() ? last.train_top1() : nan;
    if (column == "train_off_target_mass") {
      return last.has_train_off_target_mass() ? last.train_off_target_mass() : nan;
    }
    if (column == "train_classification") {
      return last.has_train_classification() ? last.train_classification() : nan;
    }
    if (column == "regularizer_gradient_ratio") {
      return last.has_regularizer_gradient_ratio() ? last.regularizer_gradient_ratio() : nan;
    }
  } else if (column == "train_entropy" || column == "train_top1" ||
             column == "train_off_target_mass" || column == "train_classification" ||
             column == "regularizer_gradient_ratio") {
    return nan;
  }
  if (absl::StartsWith(column, "val_")) return ValMetric(results, column.substr(4));
  const proto::SplitMetrics& metrics = results.test();
  const google::protobuf::FieldDescriptor* field =
      proto::SplitMetrics::descriptor()->FindFieldByName(column);
  if (field == nullptr || field->is_repeated() ||
      field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE) {
    return nan;
  }
  const auto* reflection = metrics.GetReflection();
  if (!reflection->HasField(metrics, field)) return nan;
  return reflection->GetDouble(metrics, field);
}

std::string ColumnTitle(const std::string& column) {
  static const auto* titles = new std::map<std::string, std::string>{
      {"top1_cls", "Top-1 Cls"},
      {"top1_loc", "Top-1 Loc"},
      {"gt_known_loc", "GT-known Loc"},
      {"top1_loc_best", "Top-1 Loc (best τ)"},
      {"gt_known_loc_best", "GT-known Loc (best τ)"},
      {"max_box_acc", "MaxBoxAcc"},
      {"max_box_acc_v2", "MaxBoxAccV2"},
      {"pxap", "PxAP"},
      {"mpxap", "mPxAP"},
      {"mean_entropy", "Test entropy (nats)"},
      {"train_entropy", "Train entropy (nats)"},
      {"train_top1", "Train top-1"},
      {"train_off_target_mass", "Train off-target mass"},
      {"train_classification", "Train CE (nats)"},
      {"regularizer_gradient_ratio", "Reg. pull"},
      {"best_threshold", "Best τ"},
  };
  if (column == "val_localization") return "Val Loc";
  if (column == "val_top1_cls") return "Val Top-1 Cls";
  if (column == "val_entropy") return "Val entropy (nats)";
  auto it = titles->find(column);
  return it == titles->end() ? "" : it->second;
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

std::string MarkdownCell(const std::string& text) {
  return absl::StrReplaceAll(text, {{"|", "\\|"}});
}

namespace {

std::string JoinCsv(const std::vector<std::string>& fields) {
  std::vector<std::string> quoted;
  for (const std::string& f : fields) quoted.push_back(CsvField(f));
  return absl::StrJoin(quoted, ",");
}

std::string JoinMarkdown(const std::vector<std::string>& cells) {
  std::vector<std::string> escaped;
  for (const std::string& c : cells) escaped.push_back(MarkdownCell(c));
  return "| " + absl::StrJoin(escaped, " | ") + " |\n";
}

// A JSON string literal, escaped by protobuf's JSON printer.
std::string JsonString(const std::string& text) {
  google::protobuf::Value value;
  value.set_string_value(text);
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(value, &out);
  return out;
}

// lambda as written in the paper ("1e-4"), or as %g when it is not a power of ten.
std::string LambdaText(double lambda) {
  const double exponent = std::round(std::log10(lambda));
  if (lambda > 0 && std::abs(lambda - std::pow(10.0, exponent)) < 1e-6 * lambda) {
    return absl::StrCat("1e", static_cast<int>(exponent));
  }
  return absl::StrFormat("%g", lambda);
}

// The table with each ER row's lambda in its label ("CAM + ER (λ = 1e-4)"), read from the
// row's planned runs, unless the label or setting already names it.
proto::TableSpec WithLambdaInErLabels(const proto::TableSpec& table,
                                      const std::vector<PlannedRun>& runs) {
  proto::TableSpec shown = table;
  for (const PlannedRun& p : runs) {
    proto::TableRun& row = *shown.mutable_runs(p.row);
    const proto::TableRun& original = table.runs(p.row);
    if (original.variant() != "er" || row.label() != original.label()) continue;
    if (absl::StrContains(original.label(), "λ") || absl::StrContains(original.label(), "lambda") ||
        absl::StrContains(original.setting(), "lambda") ||
        absl::StrContains(original.setting(), "λ")) {
      continue;
    }
    const proto::Regularizer& regularizer = p.experiment.regularizer();
    if (!regularizer.has_entropy_kl_uniform()) continue;
    row.set_label(absl::StrCat(
        original.label(), " (λ = ", LambdaText(regularizer.entropy_kl_uniform().lambda()), ")"));
  }
  return shown;
}

}  // namespace

namespace {

// A row's published numbers beside ours: "MaxBoxAccV2 63.00 (ours -1.20, outside our 95%
// interval)"; "one seed" when ours has no interval.
std::string PublishedCell(const proto::TableRun& run, const std::vector<SeedResults>& seeds) {
  std::vector<std::string> parts;
  for (const proto::PublishedValue& v : run.published()) {
    std::vector<double> ours;
    for (const SeedResults& s : seeds) ours.push_back(MetricValue(s.results, v.column()));
    const SeedSummary summary = Summarize(ours);
    std::string comparison = "ours pending";
    if (summary.n == 1) {
      comparison = absl::StrFormat("ours %+.2f, one seed", summary.mean - v.value());
    } else if (summary.n > 1) {
      const double half =
          StudentT975(summary.n - 1) * summary.std / std::sqrt(static_cast<double>(summary.n));
      const double difference = summary.mean - v.value();
      comparison = absl::StrFormat("ours %+.2f, %s our 95%% interval", difference,
                                   std::abs(difference) > half ? "outside" : "within");
    }
    parts.push_back(
        absl::StrFormat("%s %.2f (%s)", ColumnTitle(v.column()), v.value(), comparison));
  }
  return absl::StrJoin(parts, "; ");
}

}  // namespace

// Below this pull a regularizer does not bind (its gradient is a twentieth of the
// cross-entropy's): tables mark the row.
constexpr double kBindingPull = 0.05;

RenderedTable RenderTable(const proto::TableSpec& table,
                          const std::vector<std::vector<SeedResults>>& results_per_row,
                          const std::set<int>& failed_rows) {
  bool has_setting = false;
  for (const proto::TableRun& run : table.runs()) has_setting |= !run.setting().empty();
  // Whether each row's regularizer binds: the last epoch's regularizer_gradient_ratio,
  // mean over seeds (NaN without the diagnostic, 0 without a regularizer).
  std::vector<double> pull(table.runs_size(), std::numeric_limits<double>::quiet_NaN());
  bool any_regularizer = false;
  for (int r = 0; r < table.runs_size(); ++r) {
    std::vector<double> ratios;
    for (const SeedResults& s : results_per_row[r]) {
      const double ratio = MetricValue(s.results, "regularizer_gradient_ratio");
      if (std::isfinite(ratio)) ratios.push_back(ratio);
    }
    if (ratios.empty()) continue;
    pull[r] = Summarize(ratios).mean;
    any_regularizer |= pull[r] > 0;
  }
  bool has_published = false;
  for (const proto::TableRun& run : table.runs()) has_published |= run.published_size() > 0;
  std::vector<std::string> header = {"Method"};
  if (has_setting) header.push_back("Setting");
  for (const std::string& c : table.columns()) header.push_back(ColumnTitle(c));
  if (has_published) header.push_back("Published");
  if (any_regularizer) header.push_back("Reg. pull");
  header.push_back("Seeds");
  std::vector<std::string> csv_header = {"Method"};
  if (has_setting) csv_header.push_back("Setting");
  for (const std::string& c : table.columns()) {
    const std::string t = ColumnTitle(c);
    for (const std::string suffix : {"", " std", " per seed", " 95% CI low", " 95% CI high"}) {
      csv_header.push_back(t + suffix);
    }
  }
  if (has_published) csv_header.push_back("Published");
  csv_header.push_back("Reg. pull");
  csv_header.push_back("Seeds");

  // value(row, column, seed): the metric of that seed, if the seed finished.
  auto value = [&](int row, const std::string& column, uint64_t seed, double* out) {
    for (const SeedResults& s : results_per_row[row]) {
      if (s.seed == seed) {
        *out = MetricValue(s.results, column);
        return std::isfinite(*out);
      }
    }
    return false;
  };
  auto per_seed = [](const std::vector<double>& values) {
    std::vector<std::string> texts;
    for (double v : values) texts.push_back(absl::StrFormat("%.4f", v));
    return absl::StrJoin(texts, ";");
  };
  auto number = [](double v) {
    return std::isfinite(v) ? absl::StrFormat("%.4f", v) : std::string();
  };

  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> csv_lines = {JoinCsv(csv_header)};
  bool any_difference = false;
  bool any_spread = false;  // Some cell or Δ over more than one seed.
  for (const std::vector<SeedResults>& row : results_per_row) any_spread |= row.size() > 1;
  // Row r's cells under `label`: each column's mean ± std over its seeds.
  auto add_row = [&](int r, const std::string& label) {
    const proto::TableRun& run = table.runs(r);
    std::vector<std::string> cells = {label};
    std::vector<std::string> csv = {label};
    if (has_setting) {
      cells.push_back(run.setting());
      csv.push_back(run.setting());
    }
    for (const std::string& column : table.columns()) {
      std::vector<double> values;
      for (const SeedResults& s : results_per_row[r]) {
        values.push_back(MetricValue(s.results, column));
      }
      const SeedSummary s = Summarize(values);
      cells.push_back(!results_per_row[r].empty() ? FormatSummary(s)
                      : failed_rows.count(r)      ? "failed"
                                                  : "pending");
      csv.insert(csv.end(), {s.n == 0 ? "" : number(s.mean), s.n > 1 ? number(s.std) : "",
                             per_seed(values), "", ""});
    }
    if (has_published) {
      cells.push_back(PublishedCell(run, results_per_row[r]));
      csv.push_back(cells.back());
    }
    const bool binds = !(pull[r] > 0 && pull[r] < kBindingPull);
    if (any_regularizer) {
      cells.push_back(
          !(pull[r] > 0) ? "-" : absl::StrCat(absl::StrFormat("%.3g", pull[r]), binds ? "" : " †"));
    }
    csv.push_back(std::isfinite(pull[r]) ? absl::StrFormat("%.6g", pull[r]) : "");
    cells.push_back(absl::StrCat(results_per_row[r].size()));
    csv.push_back(absl::StrCat(results_per_row[r].size()));
    rows.push_back(cells);
    csv_lines.push_back(JoinCsv(csv));
  };
  // The paired difference of row r (shown as `label`) and baseline row b, seed by seed.
  auto add_difference = [&](int r, int b, const std::string& label) {
    any_difference = true;
    const std::string text = absl::StrCat("Δ (", label, " − ", table.runs(b).label(), ")");
    std::vector<std::string> diff = {text}, diff_csv = {text};
    if (has_setting) {
      diff.push_back("");
      diff_csv.push_back("");
    }
    int pairs = 0;
    for (const std::string& column : table.columns()) {
      std::vector<double> differences;
      for (const SeedResults& er : results_per_row[r]) {
        double a = 0, b_value = 0;
        if (value(r, column, er.seed, &a) && value(b, column, er.seed, &b_value)) {
          differences.push_back(a - b_value);
        }
      }
      const PairedDifference d = CompareSeeds(differences);
      pairs = std::max(pairs, d.summary.n);
      diff.push_back(FormatDifference(d));
      diff_csv.insert(diff_csv.end(), {d.summary.n == 0 ? "" : number(d.summary.mean),
                                       d.summary.n > 1 ? number(d.summary.std) : "",
                                       per_seed(differences), number(d.low), number(d.high)});
    }
    if (has_published) {
      diff.push_back("");
      diff_csv.push_back("");
    }
    if (any_regularizer) diff.push_back("");
    diff_csv.push_back("");
    diff.push_back(absl::StrCat(pairs, pairs == 1 ? " pair" : " pairs"));
    diff_csv.push_back(absl::StrCat(pairs));
    rows.push_back(diff);
    csv_lines.push_back(JoinCsv(diff_csv));
  };
  for (int r = 0; r < table.runs_size(); ++r) {
    const proto::TableRun& run = table.runs(r);
    add_row(r, run.label());
    // After the ER variant of a group, the paired difference to its baseline.
    if (run.variant() != "er" || run.group().empty()) continue;
    for (int b = 0; b < r; ++b) {
      const proto::TableRun& base = table.runs(b);
      if (base.group() == run.group() && base.variant() == "baseline") {
        add_difference(r, b, run.label());
      }
    }
  }
  // The paper's model selection: per group, the ER row with the best mean val score.
  std::vector<ChosenRow> chosen;
  if (table.has_selection()) {
    int planned = 0;
    for (const std::vector<SeedResults>& row : results_per_row) {
      planned = std::max(planned, static_cast<int>(row.size()));
    }
    chosen = ChooseOnVal(table, results_per_row, table.selection().val_metric(), planned);
  }
  for (const ChosenRow& c : chosen) {
    if (c.row < 0) continue;
    const std::string label = absl::StrCat(
        table.runs(c.row).label(), ", chosen on val",
        c.complete < c.candidates ? absl::StrFormat(" (provisional: %d of %d settings finished)",
                                                    c.complete, c.candidates)
                                  : "");
    add_row(c.row, label);
    add_difference(c.row, c.baseline_row, label);
  }

  bool any_unbound = false;
  for (double p : pull) any_unbound |= p > 0 && p < kBindingPull;
  RenderedTable out;
  std::string& md = out.markdown;
  if (!table.title().empty()) md += absl::StrCat("**", table.title(), "**\n\n");
  md += JoinMarkdown(header);
  md += "|";
  for (size_t i = 0; i < header.size(); ++i) md += i == 0 ? "---|" : "---:|";
  md += "\n";
  for (const auto& cells : rows) md += JoinMarkdown(cells);
  // Footnotes only for what the table shows: one seed has no spread and no interval.
  if (any_spread) {
    md += "\nCells: mean ± sample standard deviation over seeds.";
    if (any_difference) {
      md +=
          " Δ: the mean of the paired per-seed differences [its 95% t-interval]; * the "
          "interval excludes 0.";
    }
    md += "\n";
  } else if (any_difference) {
    md +=
        "\nOne seed: cells are single runs, Δ the difference of one pair (no interval; a "
        "difference of a point or two between single runs is noise).\n";
  }
  if (any_regularizer) {
    md += absl::StrFormat(
        "Reg. pull: the regularizer's gradient on the logits over the cross-entropy's, mean "
        "over the last epoch's steps and the seeds.%s\n",
        any_unbound ? absl::StrFormat(" † below %.2g: the regularizer does not bind, so the row is "
                                      "plain cross-entropy in all but name (a null control, not a "
                                      "test of the regularizer).",
                                      kBindingPull)
                    : "");
  }
  if (has_published) {
    std::set<std::string> sources;
    for (const proto::TableRun& run : table.runs()) {
      for (const proto::PublishedValue& v : run.published()) sources.insert(v.source());
    }
    md += absl::StrCat(
        "Published: the number printed for this cell by ", absl::StrJoin(sources, "; "),
        "; ours minus it, and whether it lies outside our seeds' 95% t-interval of the mean "
        "(the published protocol may differ from ours: see the source).\n");
  }
  if (!chosen.empty()) {
    std::vector<std::string> picks;
    for (const ChosenRow& c : chosen) {
      picks.push_back(c.row < 0 ? absl::StrCat(table.runs(c.baseline_row).label(), ": none yet")
                                : absl::StrFormat("%s: %s (val %.2f)", table.runs(c.row).label(),
                                                  table.runs(c.row).setting(), c.val_mean));
    }
    md += absl::StrCat(
        "Chosen on val: in each group, the ER row with the highest mean ",
        ColumnTitle("val_" + table.selection().val_metric()),
        " over its seeds (the paper's model selection; the test numbers never choose): ",
        absl::StrJoin(picks, "; "),
        ". Val Loc: MaxBoxAccV2 (boxes) or PxAP (masks) on the val split, of the model the "
        "test columns come from.\n");
  }
  out.csv = absl::StrJoin(csv_lines, "\n") + "\n";
  return out;
}

std::string PlannedCostSummary(const std::vector<PlannedRun>& runs, const TableOptions& options) {
  int to_train = 0, cached = 0;
  RunCost cost;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (static_cast<int>(i) % options.shard_count != options.shard_index) continue;
    const PlannedRun& p = runs[i];
    if (!options.rerun && train::ReadVerifiedResults(p.run_dir, p.fingerprint).ok()) {
      ++cached;
      continue;
    }
    ++to_train;
    const RunCost one = EstimateRunCost(p.experiment);
    cost.cpu_seconds += one.cpu_seconds;
    cost.disk_bytes += one.disk_bytes;
    cost.known_images &= one.known_images;
  }
  return absl::StrCat(CostSummary(to_train, cached, cost),
                      options.shard_count > 1 ? " in this shard" : "");
}

std::vector<std::vector<SeedResults>> ReadCachedResults(int rows,
                                                        const std::vector<PlannedRun>& runs) {
  std::vector<std::vector<SeedResults>> per_row(rows);
  for (const PlannedRun& p : runs) {
    absl::StatusOr<proto::RunResults> results =
        train::ReadVerifiedResults(p.run_dir, p.fingerprint);
    if (results.ok()) per_row[p.row].push_back({p.seed, *std::move(results)});
  }
  return per_row;
}

absl::StatusOr<std::string> AppendChosenRows(const std::string& from, const TableOptions& options,
                                             proto::TableSpec* shown,
                                             std::vector<std::vector<SeedResults>>* per_row) {
  WSOL_ASSIGN_OR_RETURN(const proto::TableSpec study, LoadTableSpecFor(from, options));
  if (!study.has_selection()) {
    return absl::InvalidArgumentError(
        absl::StrCat("table ", shown->name(), ": selection_from \"", from, "\" has no selection"));
  }
  // The study's own seeds, or --seeds when this table was given them; its own lambdas,
  // whatever this table was tuned to.
  TableOptions study_options = options;
  study_options.tuned.clear();
  WSOL_ASSIGN_OR_RETURN(const std::vector<PlannedRun> runs, PlanRuns(study, study_options));
  const int planned = study.runs_size() > 0 ? runs.size() / study.runs_size() : 0;
  const std::vector<std::vector<SeedResults>> results = ReadCachedResults(study.runs_size(), runs);
  std::set<std::string> groups;
  for (const proto::TableRun& run : shown->runs()) groups.insert(run.group());
  std::vector<std::string> missing;
  for (const ChosenRow& c : ChooseOnVal(study, results, study.selection().val_metric(), planned)) {
    if (!groups.count(c.group)) continue;
    const proto::TableRun& base = study.runs(c.baseline_row);
    if (c.row < 0 || c.complete < c.candidates ||
        static_cast<int>(results[c.baseline_row].size()) < planned) {
      missing.push_back(base.label());
      continue;
    }
    const proto::TableRun& er = study.runs(c.row);
    proto::TableRun* added_base = shown->add_runs();
    added_base->set_label(absl::StrCat(base.label(), " (", from, "'s seeds)"));
    added_base->set_group(absl::StrCat(c.group, "@", from));
    added_base->set_variant("baseline");
    proto::TableRun* added_er = shown->add_runs();
    added_er->set_label(
        absl::StrCat(er.label(), " (", er.setting(), " chosen on val, ", from, ")"));
    added_er->set_group(added_base->group());
    added_er->set_variant("er");
    per_row->push_back(results[c.baseline_row]);
    per_row->push_back(results[c.row]);
  }
  if (missing.empty()) return std::string();
  return absl::StrCat("ER at lambda chosen on val (the paper's model selection) for ",
                      absl::StrJoin(missing, ", "),
                      ": not in the cache yet; `bazel run "
                      "//paper_tables:",
                      from, "` trains ", from,
                      "'s runs and this table "
                      "then shows those rows.\n");
}

absl::StatusOr<std::string> RunTable(const proto::TableSpec& table, const TableOptions& options,
                                     const RunFunction& run) {
  WSOL_ASSIGN_OR_RETURN(std::vector<PlannedRun> runs, PlanRuns(table, options));
  return RunTable(table, runs, options, run);
}

absl::StatusOr<std::string> RunTable(const proto::TableSpec& table,
                                     const std::vector<PlannedRun>& runs,
                                     const TableOptions& options, const RunFunction& run) {
  if (options.shard_count < 1 || options.shard_index < 0 ||
      options.shard_index >= options.shard_count) {
    return absl::InvalidArgumentError(absl::StrFormat("--shard=%d/%d: expected i/n with 0 <= i < n",
                                                      options.shard_index, options.shard_count));
  }
  const std::vector<std::string> missing =
      options.profile == "paper" ? PaperPrerequisites(runs, options) : std::vector<std::string>();
  if (options.dry_run) {
    std::cout << absl::StrFormat("%s: %d runs (%d rows x %d seeds)\n", table.name(), runs.size(),
                                 table.runs_size(),
                                 table.runs_size() > 0 ? runs.size() / table.runs_size() : 0);
    for (size_t i = 0; i < runs.size(); ++i) {
      const PlannedRun& p = runs[i];
      const proto::Experiment& e = p.experiment;
      const bool cached = train::ReadVerifiedResults(p.run_dir, p.fingerprint).ok();
      std::cout << absl::StrFormat(
          "  [%s] %-28s seed %d  %s %s x%.3g, %d epochs x batch %d\n      spec %s%s\n"
          "      run  %s%s\n",
          static_cast<int>(i) % options.shard_count == options.shard_index ? "this shard"
                                                                           : "other shard",
          table.runs(p.row).label(), p.seed, e.dataset().name(), e.backbone().architecture(),
          e.backbone().width_multiplier(), e.optimizer().epochs(), e.optimizer().batch_size(),
          RunSpecText(table.runs(p.row), e),
          table.runs(p.row).set().empty()
              ? ""
              : absl::StrCat(" --set=", absl::StrJoin(table.runs(p.row).set(), ",")),
          p.run_dir, cached ? " (cached)" : "");
      for (const proto::PublishedValue& v : table.runs(p.row).published()) {
        std::cout << absl::StrFormat("      published %s %.2f (%s)\n", ColumnTitle(v.column()),
                                     v.value(), v.source());
      }
      if (options.print_specs) {
        std::cout << "      fields (each with what set it):\n";
        for (absl::string_view line : absl::StrSplit(p.sources, '\n', absl::SkipEmpty())) {
          std::cout << "        " << line << "\n";
        }
      }
    }
    if (!missing.empty()) {
      std::cout << "\nnot ready to train (a run without --dry_run is refused):\n  "
                << absl::StrJoin(missing, "\n  ") << "\n";
    }
    std::cout << "\n" << PlannedCostSummary(runs, options) << "\n";
    return std::string();
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the paper profile cannot train these runs yet:\n  ", absl::StrJoin(missing, "\n  ")));
  }
  std::vector<std::string> failures;
  std::set<int> failed_rows;
  int busy = 0;  // Runs another process is training right now (left pending here).
  // This shard's runs without results train, `jobs` at a time (each job's run function
  // call is independent: the binary's runs in separate processes when jobs > 1).
  std::vector<size_t> to_train;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (static_cast<int>(i) % options.shard_count != options.shard_index) continue;
    const PlannedRun& p = runs[i];
    if (!options.rerun) {
      absl::StatusOr<proto::RunResults> cached =
          train::ReadVerifiedResults(p.run_dir, p.fingerprint);
      if (cached.ok()) {
        std::cerr << absl::StrFormat("[%d/%d] %s (seed %d): cached in %s\n", i + 1, runs.size(),
                                     table.runs(p.row).label(), p.seed, p.run_dir);
        continue;
      }
      // A results file that is not this spec's result is never shown: the run trains again.
      if (!absl::IsNotFound(cached.status())) {
        std::cerr << absl::StrFormat("[%d/%d] %s (seed %d): %s; training it again\n", i + 1,
                                     runs.size(), table.runs(p.row).label(), p.seed,
                                     cached.status().message());
      }
    }
    if (std::optional<std::string> holder = FileLock::Holder(train::RunFolder(p.run_dir).lock())) {
      std::cerr << absl::StrFormat("[%d/%d] %s (seed %d): being trained by %s; left to it\n", i + 1,
                                   runs.size(), table.runs(p.row).label(), p.seed, *holder);
      ++busy;
      continue;
    }
    to_train.push_back(i);
  }
  std::mutex mu;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k = next++; k < to_train.size(); k = next++) {
      const size_t i = to_train[k];
      const PlannedRun& p = runs[i];
      {
        std::lock_guard<std::mutex> lock(mu);
        std::cerr << absl::StrFormat("[%d/%d] %s (seed %d): training into %s\n", i + 1, runs.size(),
                                     table.runs(p.row).label(), p.seed, p.run_dir);
      }
      if (options.rerun) {
        std::error_code ec;
        fs::remove_all(p.run_dir, ec);
      }
      const absl::Time start = absl::Now();
      absl::StatusOr<proto::RunResults> results = run(p.experiment, p.run_dir);
      std::lock_guard<std::mutex> lock(mu);
      // Another process may have taken the run between the check above and the start: its
      // lock says so (ours is gone once the run has returned), whatever the error's text.
      std::optional<std::string> taken;
      if (!results.ok()) taken = FileLock::Holder(train::RunFolder(p.run_dir).lock());
      if (taken) {
        std::cerr << absl::StrFormat("[%d/%d] %s (seed %d): being trained by %s; left to it\n",
                                     i + 1, runs.size(), table.runs(p.row).label(), p.seed, *taken);
        ++busy;
      } else if (!results.ok()) {
        // The other runs go on; the table marks this row and the command fails at the end.
        const std::string error = absl::StrCat("run \"", table.runs(p.row).label(), "\" (",
                                               p.run_dir, "): ", results.status().message());
        std::cerr << "error: " << error << "\n";
        failures.push_back(error);
        failed_rows.insert(p.row);
      } else if (options.jobs > 1) {
        std::cerr << absl::StrFormat(
            "[%d/%d] %s (seed %d): done in %s\n", i + 1, runs.size(), table.runs(p.row).label(),
            p.seed, absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Seconds(1))));
      }
    }
  };
  const int jobs = std::max(1, std::min<int>(options.jobs, static_cast<int>(to_train.size())));
  if (jobs == 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
    for (std::thread& t : threads) t.join();
  }
  std::sort(failures.begin(), failures.end());
  std::vector<std::vector<SeedResults>> per_row = ReadCachedResults(table.runs_size(), runs);
  proto::TableSpec shown = WithLambdaInErLabels(table, runs);
  std::string selection_note;
  if (!table.selection_from().empty()) {
    WSOL_ASSIGN_OR_RETURN(selection_note,
                          AppendChosenRows(table.selection_from(), options, &shown, &per_row));
  }
  RenderedTable rendered = RenderTable(shown, per_row, failed_rows);
  rendered.markdown += selection_note;
  if (!options.tuned.empty()) {
    std::vector<std::string> tuned_rows;
    for (const proto::TableRun& r : table.runs()) {
      if (options.tuned.count({r.group(), r.variant()})) tuned_rows.push_back(r.label());
    }
    rendered.markdown +=
        absl::StrCat("Hyper-parameters chosen on val by //paper_tables:tune (",
                     options.tuned_source, ") for: ", absl::StrJoin(tuned_rows, ", "), ".\n");
  }
  const std::string out_dir = options.out_dir.empty()
                                  ? (fs::path(options.cache_dir) / "tables" / table.name()).string()
                                  : options.out_dir;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat(out_dir, ": ", ec.message()));
  WSOL_RETURN_IF_ERROR(wsol::WriteFileAtomically(
      (fs::path(out_dir) / (table.name() + ".md")).string(), rendered.markdown));
  WSOL_RETURN_IF_ERROR(wsol::WriteFileAtomically(
      (fs::path(out_dir) / (table.name() + ".csv")).string(), rendered.csv));
  // JSON: one object per row (labels repeat across settings, so rows are a list), with
  // every seed's full results.
  std::string json = "[\n";
  for (int r = 0; r < shown.runs_size(); ++r) {
    std::vector<std::string> results;
    for (const SeedResults& seed : per_row[r]) {
      const proto::RunResults& one_seed = seed.results;
      std::string one;
      google::protobuf::util::JsonPrintOptions print;
      print.preserve_proto_field_names = true;
      if (const auto status = google::protobuf::util::MessageToJsonString(one_seed, &one, print);
          !status.ok()) {
        return absl::InternalError(absl::StrCat("results of \"", shown.runs(r).label(),
                                                "\" as JSON: ", status.ToString()));
      }
      results.push_back(one);
    }
    json += absl::StrCat("  {\"label\": ", JsonString(shown.runs(r).label()),
                         ", \"setting\": ", JsonString(shown.runs(r).setting()), ", \"status\": ",
                         JsonString(!per_row[r].empty()    ? "done"
                                    : failed_rows.count(r) ? "failed"
                                                           : "pending"),
                         ", \"results\": [", absl::StrJoin(results, ", "), "]}",
                         r + 1 < shown.runs_size() ? ",\n" : "\n");
  }
  json += "]\n";
  WSOL_RETURN_IF_ERROR(
      wsol::WriteFileAtomically((fs::path(out_dir) / (table.name() + ".json")).string(), json));
  std::cout << rendered.markdown << std::flush;
  if (busy > 0) {
    std::cerr << absl::StrFormat(
        "%d run(s) are being trained by another process (rows marked \"pending\"); run this "
        "again once it has finished to render them\n",
        busy);
  }
  if (!failures.empty()) {
    return absl::AbortedError(
        absl::StrCat(failures.size(), " run(s) failed (rows marked \"failed\"; ", "outputs in ",
                     out_dir, "):\n  ", absl::StrJoin(failures, "\n  ")));
  }
  return out_dir;
}

}  // namespace wsol::tables
