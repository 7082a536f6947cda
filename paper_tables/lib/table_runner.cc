#include "paper_tables/lib/table_runner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/run_folder.h"
#include "wsol/util/status_macros.h"
#include "wsol/util/file_io.h"

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

struct Stats {
  int n = 0;
  double mean = std::numeric_limits<double>::quiet_NaN();
  double std = 0;
};

Stats Summarize(const std::vector<double>& values) {
  Stats s;
  std::vector<double> finite;
  for (double v : values) {
    if (std::isfinite(v)) finite.push_back(v);
  }
  s.n = static_cast<int>(finite.size());
  if (s.n == 0) return s;
  double sum = 0;
  for (double v : finite) sum += v;
  s.mean = sum / s.n;
  if (s.n > 1) {
    double sq = 0;
    for (double v : finite) sq += (v - s.mean) * (v - s.mean);
    s.std = std::sqrt(sq / (s.n - 1));  // Sample standard deviation over seeds.
  }
  return s;
}

std::string FormatStats(const Stats& s) {
  if (s.n == 0) return "-";
  if (s.n == 1) return absl::StrFormat("%.2f", s.mean);
  return absl::StrFormat("%.2f ± %.2f", s.mean, s.std);
}

}  // namespace

absl::StatusOr<proto::TableSpec> LoadTableSpec(const std::string& path) {
  WSOL_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  proto::TableSpec table;
  WSOL_RETURN_IF_ERROR(spec::ParseTextProto(text, path, &table));
  if (table.name().empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": name is empty"));
  if (table.runs_size() == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": no runs"));
  for (const std::string& column : table.columns()) {
    if (ColumnTitle(column).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": unknown column \"", column, "\" (a SplitMetrics field)"));
    }
  }
  return table;
}

absl::StatusOr<proto::TableSpec> LoadTableSpecFor(const std::string& name,
                                                  const TableOptions& options) {
  const fs::path folder = fs::path(options.workspace_root) / "paper_tables" / "specs" /
                          (options.profile == "paper" ? "paper" : "");
  const std::string path = (folder / (name + ".pbtxt")).string();
  if (!fs::exists(path)) {
    std::vector<std::string> known;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
      if (entry.path().extension() == ".pbtxt") known.push_back(entry.path().stem().string());
    }
    std::sort(known.begin(), known.end());
    return absl::NotFoundError(absl::StrCat("unknown table \"", name, "\" for --profile=",
                                            options.profile, "; known: ",
                                            absl::StrJoin(known, ", ")));
  }
  return LoadTableSpec(path);
}

absl::StatusOr<std::vector<PlannedRun>> PlanRuns(const proto::TableSpec& table,
                                                 const TableOptions& options) {
  std::vector<PlannedRun> runs;
  std::vector<uint64_t> seeds(table.seeds().begin(), table.seeds().end());
  if (seeds.empty()) seeds.push_back(0);
  for (int row = 0; row < table.runs_size(); ++row) {
    const proto::TableRun& run = table.runs(row);
    std::vector<std::string> overrides(table.set().begin(), table.set().end());
    overrides.insert(overrides.end(), run.set().begin(), run.set().end());
    overrides.insert(overrides.end(), options.extra_set.begin(), options.extra_set.end());
    overrides.push_back(absl::StrCat("runtime.profile=", options.profile));
    if (options.device != "auto") overrides.push_back("runtime.device=" + options.device);
    if (options.threads > 0) overrides.push_back(absl::StrCat("runtime.threads=", options.threads));
    for (uint64_t seed : seeds) {
      std::vector<std::string> with_seed = overrides;
      with_seed.push_back(absl::StrCat("runtime.seed=", seed));
      const std::string spec_path = (fs::path(options.workspace_root) / run.spec()).string();
      absl::StatusOr<proto::Experiment> experiment =
          spec::LoadExperimentFile(spec_path, with_seed, options.validators);
      if (!experiment.ok()) {
        return absl::Status(experiment.status().code(),
                            absl::StrCat("table ", table.name(), ", run \"", run.label(),
                                         "\": ", experiment.status().message()));
      }
      if (!options.data_root.empty()) {
        proto::Dataset* dataset = experiment->mutable_dataset();
        const std::string root = dataset->root().empty() ? dataset->name() : dataset->root();
        if (fs::path(root).is_relative()) {
          dataset->set_root((fs::path(options.data_root) / root).string());
        }
      }
      if (experiment->name().empty()) experiment->set_name(run.label());
      PlannedRun planned;
      planned.row = row;
      planned.seed = seed;
      planned.fingerprint = spec::ResultFingerprint(*experiment);
      planned.run_dir = train::RunFolder::PathForFingerprint(options.cache_dir, planned.fingerprint);
      experiment->mutable_runtime()->set_output_dir(planned.run_dir);
      planned.experiment = *std::move(experiment);
      runs.push_back(std::move(planned));
    }
  }
  return runs;
}

double MetricValue(const proto::SplitMetrics& metrics, const std::string& column) {
  const google::protobuf::FieldDescriptor* field =
      proto::SplitMetrics::descriptor()->FindFieldByName(column);
  if (field == nullptr || field->is_repeated() ||
      field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  const auto* reflection = metrics.GetReflection();
  if (!reflection->HasField(metrics, field)) return std::numeric_limits<double>::quiet_NaN();
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
      {"mean_entropy", "Entropy (nats)"},
      {"best_threshold", "Best τ"},
  };
  auto it = titles->find(column);
  return it == titles->end() ? "" : it->second;
}

namespace {

// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

// A Markdown table cell: a '|' (as in "KL(u||p)") would end the cell.
std::string MarkdownCell(const std::string& text) {
  return absl::StrReplaceAll(text, {{"|", "\\|"}});
}

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

}  // namespace

RenderedTable RenderTable(const proto::TableSpec& table,
                          const std::vector<std::vector<proto::RunResults>>& results_per_row,
                          const std::set<int>& failed_rows) {
  bool has_setting = false;
  for (const proto::TableRun& run : table.runs()) has_setting |= !run.setting().empty();
  std::vector<std::string> header = {"Method"};
  if (has_setting) header.push_back("Setting");
  for (const std::string& c : table.columns()) header.push_back(ColumnTitle(c));
  header.push_back("Seeds");

  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> csv_lines = {JoinCsv(header)};
  // Mean of each column per row, for the ER - baseline differences.
  std::vector<std::vector<double>> means(table.runs_size());
  for (int r = 0; r < table.runs_size(); ++r) {
    const proto::TableRun& run = table.runs(r);
    std::vector<std::string> cells = {run.label()};
    std::vector<std::string> csv = {run.label()};
    if (has_setting) {
      cells.push_back(run.setting());
      csv.push_back(run.setting());
    }
    for (const std::string& column : table.columns()) {
      std::vector<double> values;
      for (const proto::RunResults& res : results_per_row[r]) {
        values.push_back(MetricValue(res.test(), column));
      }
      Stats s = Summarize(values);
      means[r].push_back(s.mean);
      cells.push_back(!results_per_row[r].empty() ? FormatStats(s)
                      : failed_rows.count(r) ? "failed"
                                             : "pending");
      csv.push_back(s.n == 0 ? "" : absl::StrFormat("%.4f", s.mean));
    }
    cells.push_back(absl::StrCat(results_per_row[r].size()));
    csv.push_back(absl::StrCat(results_per_row[r].size()));
    rows.push_back(cells);
    csv_lines.push_back(JoinCsv(csv));
    // After the ER variant of a group, add the difference to its baseline.
    if (run.variant() == "er" && !run.group().empty()) {
      for (int b = 0; b < table.runs_size(); ++b) {
        const proto::TableRun& base = table.runs(b);
        if (base.group() != run.group() || base.variant() != "baseline") continue;
        std::vector<std::string> diff = {absl::StrCat("Δ (", run.label(), " − ", base.label(), ")")};
        if (has_setting) diff.push_back("");
        for (size_t c = 0; c < table.columns().size(); ++c) {
          const double d = means[r][c] - (b < r ? means[b][c] : std::nan(""));
          diff.push_back(std::isfinite(d) ? absl::StrFormat("%+.2f", d) : "-");
        }
        diff.push_back("");
        rows.push_back(diff);
      }
    }
  }
  RenderedTable out;
  std::string& md = out.markdown;
  if (!table.title().empty()) md += absl::StrCat("**", table.title(), "**\n\n");
  md += JoinMarkdown(header);
  md += "|" + std::string() ;
  for (size_t i = 0; i < header.size(); ++i) md += i == 0 ? "---|" : "---:|";
  md += "\n";
  for (const auto& cells : rows) md += JoinMarkdown(cells);
  out.csv = absl::StrJoin(csv_lines, "\n") + "\n";
  return out;
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
    return absl::InvalidArgumentError(absl::StrFormat(
        "--shard=%d/%d: expected i/n with 0 <= i < n", options.shard_index, options.shard_count));
  }
  if (options.dry_run) {
    std::cout << absl::StrFormat("%s: %d runs (%d rows x %d seeds)\n", table.name(), runs.size(),
                                 table.runs_size(), std::max(1, table.seeds_size()));
    for (size_t i = 0; i < runs.size(); ++i) {
      const PlannedRun& p = runs[i];
      const proto::Experiment& e = p.experiment;
      const bool cached = train::ReadResults(p.run_dir).ok();
      std::cout << absl::StrFormat(
          "  [%s] %-28s seed %d  %s %s x%.3g, %d epochs x batch %d\n      spec %s%s\n"
          "      run  %s%s\n",
          static_cast<int>(i) % options.shard_count == options.shard_index ? "this shard" : "other shard",
          table.runs(p.row).label(), p.seed, e.dataset().name(), e.backbone().architecture(),
          e.backbone().width_multiplier(), e.optimizer().epochs(), e.optimizer().batch_size(),
          table.runs(p.row).spec(),
          table.runs(p.row).set().empty()
              ? ""
              : absl::StrCat(" --set=", absl::StrJoin(table.runs(p.row).set(), ",")),
          p.run_dir, cached ? " (cached)" : "");
    }
    return std::string();
  }
  std::vector<std::string> failures;
  std::set<int> failed_rows;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (static_cast<int>(i) % options.shard_count != options.shard_index) continue;
    const PlannedRun& p = runs[i];
    if (!options.rerun && train::ReadResults(p.run_dir).ok()) {
      std::cerr << absl::StrFormat("[%d/%d] %s (seed %d): cached in %s\n", i + 1, runs.size(),
                                   table.runs(p.row).label(), p.seed, p.run_dir);
      continue;
    }
    std::cerr << absl::StrFormat("[%d/%d] %s (seed %d): training into %s\n", i + 1, runs.size(),
                                 table.runs(p.row).label(), p.seed, p.run_dir);
    if (options.rerun) {
      std::error_code ec;
      fs::remove_all(p.run_dir, ec);
    }
    absl::StatusOr<proto::RunResults> results = run(p.experiment, p.run_dir);
    if (!results.ok()) {
      // The other runs go on; the table marks this row and the command fails at the end.
      const std::string error = absl::StrCat("run \"", table.runs(p.row).label(), "\" (",
                                             p.run_dir, "): ", results.status().message());
      std::cerr << "error: " << error << "\n";
      failures.push_back(error);
      failed_rows.insert(p.row);
    }
  }
  std::vector<std::vector<proto::RunResults>> per_row(table.runs_size());
  for (const PlannedRun& p : runs) {
    absl::StatusOr<proto::RunResults> results = train::ReadResults(p.run_dir);
    if (results.ok()) per_row[p.row].push_back(*std::move(results));
  }
  RenderedTable rendered = RenderTable(table, per_row, failed_rows);
  const std::string out_dir = options.out_dir.empty()
                                  ? (fs::path(options.cache_dir) / "tables" / table.name()).string()
                                  : options.out_dir;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat(out_dir, ": ", ec.message()));
  WSOL_RETURN_IF_ERROR(wsol::WriteFileAtomically((fs::path(out_dir) / (table.name() + ".md")).string(),
                                           rendered.markdown));
  WSOL_RETURN_IF_ERROR(wsol::WriteFileAtomically((fs::path(out_dir) / (table.name() + ".csv")).string(),
                                           rendered.csv));
  // JSON: one object per row (labels repeat across settings, so rows are a list), with
  // every seed's full results.
  std::string json = "[\n";
  for (int r = 0; r < table.runs_size(); ++r) {
    std::vector<std::string> results;
    for (const proto::RunResults& one_seed : per_row[r]) {
      std::string one;
      google::protobuf::util::JsonPrintOptions print;
      print.preserve_proto_field_names = true;
      if (const auto status = google::protobuf::util::MessageToJsonString(one_seed, &one, print);
          !status.ok()) {
        return absl::InternalError(absl::StrCat("results of \"", table.runs(r).label(),
                                                "\" as JSON: ", status.ToString()));
      }
      results.push_back(one);
    }
    json += absl::StrCat("  {\"label\": ", JsonString(table.runs(r).label()),
                         ", \"setting\": ", JsonString(table.runs(r).setting()),
                         ", \"status\": ",
                         JsonString(!per_row[r].empty() ? "done"
                                    : failed_rows.count(r) ? "failed"
                                                           : "pending"),
                         ", \"results\": [", absl::StrJoin(results, ", "), "]}",
                         r + 1 < table.runs_size() ? ",\n" : "\n");
  }
  json += "]\n";
  WSOL_RETURN_IF_ERROR(
      wsol::WriteFileAtomically((fs::path(out_dir) / (table.name() + ".json")).string(), json));
  std::cout << rendered.markdown << std::flush;
  if (!failures.empty()) {
    return absl::AbortedError(absl::StrCat(failures.size(), " run(s) failed (rows marked \"failed\"; ",
                                           "outputs in ", out_dir, "):\n  ",
                                           absl::StrJoin(failures, "\n  ")));
  }
  return out_dir;
}

}  // namespace wsol::tables
