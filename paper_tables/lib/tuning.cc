#include "paper_tables/lib/tuning.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/text_format.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/run_folder.h"
#include "wsol/util/file_io.h"
#include "wsol/util/status_macros.h"

namespace wsol::tables {
namespace {

namespace fs = std::filesystem;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

constexpr char kValMetric[] = "localization";

// The field at `path` ("optimizer.lr") of the Experiment message, or null; every
// component before the last must be a singular message field.
const FieldDescriptor* FieldAtPath(const std::string& path) {
  const Descriptor* message = proto::Experiment::descriptor();
  const FieldDescriptor* field = nullptr;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (message == nullptr) return nullptr;
    field = message->FindFieldByName(std::string(part));
    if (field == nullptr || field->is_repeated()) return nullptr;
    message = field->type() == FieldDescriptor::TYPE_MESSAGE ? field->message_type() : nullptr;
  }
  return field;
}

bool IsNumber(const FieldDescriptor& field) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return true;
    default:
      return false;
  }
}

bool IsInteger(const FieldDescriptor& field) {
  return field.cpp_type() != FieldDescriptor::CPPTYPE_FLOAT &&
         field.cpp_type() != FieldDescriptor::CPPTYPE_DOUBLE;
}

// SplitMix64: a small generator whose stream is fixed by its state alone, on every
// platform and library version (the standard distributions are not).
uint64_t NextRandom(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double Uniform01(uint64_t* state) {
  return static_cast<double>(NextRandom(state) >> 11) * 0x1.0p-53;
}

uint64_t Fnv1a(absl::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// How a cell is named on the command line and in messages.
std::string CellName(const proto::TableRun& row) {
  if (row.group().empty()) return row.label();
  return row.variant().empty() ? row.group() : absl::StrCat(row.group(), ":", row.variant());
}

// A drawn value as the spec will hold it: 3 significant digits (integers rounded), within
// [low, high].
std::string ValueText(const proto::SearchParameter& p, double value) {
  const FieldDescriptor* field = FieldAtPath(p.field());
  if (field != nullptr && IsInteger(*field)) {
    const double rounded =
        std::min(std::max(std::round(value), std::ceil(p.low())), std::floor(p.high()));
    return absl::StrCat(static_cast<int64_t>(rounded));
  }
  std::string text = absl::StrFormat("%.3g", value);
  double parsed = 0;
  if (absl::SimpleAtod(text, &parsed) && parsed > p.high())
    text = absl::StrFormat("%.17g", p.high());
  if (absl::SimpleAtod(text, &parsed) && parsed < p.low()) text = absl::StrFormat("%.17g", p.low());
  return text;
}

// Mean val score of one trial over its seeds with a score; NaN when none.
double TrialScore(const std::vector<SeedResults>& seeds, const std::string& metric) {
  double sum = 0;
  int n = 0;
  for (const SeedResults& s : seeds) {
    const double v = ValMetric(s.results, metric);
    if (std::isfinite(v)) {
      sum += v;
      ++n;
    }
  }
  return n > 0 ? sum / n : std::nan("");
}

// failed.tsv of a tune's output folder: the trials that failed (a learning rate that
// diverges), one per line, "<run folder name>\t<error>", so a rerun does not train them
// again (--rerun does).
constexpr char kFailedFile[] = "failed.tsv";

absl::StatusOr<std::map<std::string, std::string>> ReadFailures(const std::string& path) {
  std::map<std::string, std::string> failures;
  absl::StatusOr<std::string> text = ReadRegularFile(path, "failed trials");
  if (absl::IsNotFound(text.status())) return failures;
  if (!text.ok()) return text.status();
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    const std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits('\t', 1));
    if (parts.size() == 2 && !parts[0].empty()) failures[parts[0]] = parts[1];
  }
  return failures;
}

}  // namespace

std::string ParameterName(const proto::SearchParameter& parameter) {
  if (!parameter.name().empty()) return parameter.name();
  const size_t dot = parameter.field().rfind('.');
  return dot == std::string::npos ? parameter.field() : parameter.field().substr(dot + 1);
}

absl::StatusOr<proto::SearchSpace> LoadSearchSpace(const std::string& path) {
  WSOL_ASSIGN_OR_RETURN(const std::string text, ReadRegularFile(path, "search space"));
  proto::SearchSpace space;
  WSOL_RETURN_IF_ERROR(spec::ParseTextProto(text, path, &space));
  if (space.trials() < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": trials is ", space.trials(), "; expected at least 1 per cell"));
  }
  if (space.parameter_size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no parameter to search"));
  }
  std::set<std::string> fields;
  for (int i = 0; i < space.parameter_size(); ++i) {
    const proto::SearchParameter& p = space.parameter(i);
    const std::string where = absl::StrCat(path, ": parameter ", i + 1, " (\"", p.field(), "\")");
    const FieldDescriptor* field = FieldAtPath(p.field());
    if (field == nullptr || !IsNumber(*field)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": field is not a number field of the spec (expected e.g. optimizer.lr)"));
    }
    if (!fields.insert(p.field()).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": searched twice"));
    }
    if (!p.when().empty()) {
      const FieldDescriptor* when = FieldAtPath(p.when());
      if (when == nullptr || when->type() != FieldDescriptor::TYPE_MESSAGE) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": when \"", p.when(),
                         "\" is not a message of the spec (expected e.g. method.adl)"));
      }
    }
    if (!p.has_low() || !p.has_high() || !std::isfinite(p.low()) || !std::isfinite(p.high()) ||
        p.low() > p.high() || (p.log_scale() && p.low() <= 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": range [", p.low(), ", ", p.high(), "] expected low <= high",
                       p.log_scale() ? ", low > 0 on a log scale" : ""));
    }
    if (p.source().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": needs a source (where the range comes from)"));
    }
  }
  return space;
}

bool ParameterApplies(const proto::SearchParameter& parameter,
                      const proto::Experiment& experiment) {
  if (parameter.when().empty()) return true;
  const google::protobuf::Message* message = &experiment;
  for (absl::string_view part : absl::StrSplit(parameter.when(), '.')) {
    const FieldDescriptor* field = message->GetDescriptor()->FindFieldByName(std::string(part));
    if (field == nullptr || field->is_repeated() ||
        field->type() != FieldDescriptor::TYPE_MESSAGE ||
        !message->GetReflection()->HasField(*message, field)) {
      return false;
    }
    message = &message->GetReflection()->GetMessage(*message, field);
  }
  return true;
}

absl::StatusOr<std::vector<int>> SelectCells(const proto::TableSpec& table,
                                             const std::vector<std::string>& cells) {
  std::vector<int> rows;
  if (cells.empty()) {
    for (int r = 0; r < table.runs_size(); ++r) rows.push_back(r);
    return rows;
  }
  std::set<int> chosen;
  for (const std::string& cell : cells) {
    const std::vector<std::string> parts = absl::StrSplit(cell, absl::MaxSplits(':', 1));
    bool any = false;
    for (int r = 0; r < table.runs_size(); ++r) {
      const proto::TableRun& run = table.runs(r);
      if (run.group().empty() || run.group() != parts[0]) continue;
      if (parts.size() == 2 && run.variant() != parts[1]) continue;
      chosen.insert(r);
      any = true;
    }
    if (!any) {
      std::vector<std::string> known;
      for (const proto::TableRun& run : table.runs()) known.push_back(CellName(run));
      return absl::InvalidArgumentError(absl::StrCat(
          "--cells: \"", cell, "\" names no row of table ", table.name(),
          " (expected GROUP or GROUP:VARIANT; its cells: ", absl::StrJoin(known, ", "), ")"));
    }
  }
  rows.assign(chosen.begin(), chosen.end());
  return rows;
}

std::vector<Trial> DrawTrials(const proto::SearchSpace& space, const proto::TableSpec& table,
                              const std::vector<int>& rows,
                              const std::vector<proto::Experiment>& experiments,
                              uint64_t search_seed) {
  std::vector<Trial> trials;
  for (size_t i = 0; i < rows.size(); ++i) {
    const proto::TableRun& row = table.runs(rows[i]);
    for (int k = 0; k < space.trials(); ++k) {
      Trial trial;
      trial.row = rows[i];
      trial.index = k;
      uint64_t state = Fnv1a(absl::StrCat(search_seed, "\x1f", CellName(row), "\x1f", k));
      for (const proto::SearchParameter& p : space.parameter()) {
        // Every parameter draws, applying or not, so one parameter's values do not depend
        // on which others apply to the cell.
        const double u = Uniform01(&state);
        if (!ParameterApplies(p, experiments[i])) continue;
        const double value =
            p.log_scale()
                ? std::exp(std::log(p.low()) + u * (std::log(p.high()) - std::log(p.low())))
                : p.low() + u * (p.high() - p.low());
        const std::string text = ValueText(p, value);
        trial.values.emplace_back(ParameterName(p), text);
        trial.set.push_back(absl::StrCat(p.field(), "=", text));
      }
      trials.push_back(std::move(trial));
    }
  }
  return trials;
}

proto::TableSpec TrialTable(const proto::TableSpec& table, const std::vector<Trial>& trials) {
  proto::TableSpec out;
  out.set_name(absl::StrCat("tune_", table.name()));
  out.set_title(
      absl::StrCat("Tuning ", table.name(), ": random-search trials, scored on the val split"));
  out.add_columns("val_localization");
  out.add_columns("val_top1_cls");
  *out.mutable_set() = table.set();
  *out.mutable_seeds() = table.seeds();
  for (const Trial& trial : trials) {
    proto::TableRun run = table.runs(trial.row);
    run.set_label(absl::StrCat(run.label(), " #", trial.index + 1));
    run.clear_group();
    run.clear_variant();
    run.clear_published();
    std::vector<std::string> values;
    for (const auto& [name, value] : trial.values) values.push_back(absl::StrCat(name, " ", value));
    run.set_setting(absl::StrJoin(values, ", "));
    for (const std::string& s : trial.set) run.add_set(s);
    *out.add_runs() = std::move(run);
  }
  return out;
}

proto::TunedValues ChooseTrials(const proto::TableSpec& table, const std::vector<Trial>& trials,
                                const std::vector<std::vector<SeedResults>>& per_trial) {
  proto::TunedValues tuned;
  tuned.set_table(table.name());
  tuned.set_val_metric(kValMetric);
  std::vector<int> order;  // Cells in the order of their first trial.
  std::map<int, std::vector<size_t>> by_row;
  for (size_t i = 0; i < trials.size(); ++i) {
    if (by_row[trials[i].row].empty()) order.push_back(trials[i].row);
    by_row[trials[i].row].push_back(i);
  }
  for (int row : order) {
    const std::vector<size_t>& ids = by_row[row];
    int best = -1, scored = 0;
    double best_score = 0;
    for (size_t id : ids) {
      const double score = TrialScore(per_trial[id], kValMetric);
      if (!std::isfinite(score)) continue;
      ++scored;
      if (best < 0 || score > best_score) {
        best = static_cast<int>(id);
        best_score = score;
      }
    }
    if (best < 0) continue;
    const proto::TableRun& run = table.runs(row);
    proto::TunedCell* cell = tuned.add_cell();
    cell->set_group(run.group());
    cell->set_variant(run.variant());
    cell->set_label(run.label());
    for (const std::string& s : trials[best].set) cell->add_set(s);
    cell->set_trial(trials[best].index + 1);
    cell->set_trials(static_cast<int>(ids.size()));
    cell->set_scored(scored);
    cell->set_val_score(best_score);
  }
  return tuned;
}

std::string TrialsCsv(const proto::TableSpec& table, const std::vector<Trial>& trials,
                      const std::vector<std::vector<SeedResults>>& per_trial,
                      const proto::TunedValues& chosen) {
  std::vector<std::string> names;
  for (const Trial& t : trials) {
    for (const auto& [name, value] : t.values) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  std::string csv = absl::StrCat("cell,label,trial,", absl::StrJoin(names, ","),
                                 ",val_localization,val_top1_cls,seeds,chosen\n");
  for (size_t i = 0; i < trials.size(); ++i) {
    const Trial& t = trials[i];
    const proto::TableRun& run = table.runs(t.row);
    std::vector<std::string> fields = {CsvField(CellName(run)), CsvField(run.label()),
                                       absl::StrCat(t.index + 1)};
    for (const std::string& name : names) {
      std::string value;
      for (const auto& [n, v] : t.values) {
        if (n == name) value = v;
      }
      fields.push_back(value);
    }
    const double loc = TrialScore(per_trial[i], kValMetric);
    const double cls = TrialScore(per_trial[i], "top1_cls");
    fields.push_back(std::isfinite(loc) ? absl::StrFormat("%.4f", loc) : "");
    fields.push_back(std::isfinite(cls) ? absl::StrFormat("%.4f", cls) : "");
    std::vector<std::string> seeds;
    for (const SeedResults& s : per_trial[i]) seeds.push_back(absl::StrCat(s.seed));
    fields.push_back(absl::StrJoin(seeds, " "));
    bool won = false;
    for (const proto::TunedCell& c : chosen.cell()) {
      won |= c.group() == run.group() && c.variant() == run.variant() && c.trial() == t.index + 1;
    }
    fields.push_back(won ? "yes" : "");
    csv += absl::StrCat(absl::StrJoin(fields, ","), "\n");
  }
  return csv;
}

std::string ChosenMarkdown(const proto::TableSpec& table, const proto::TunedValues& chosen) {
  std::string md = absl::StrCat(
      "Chosen on val (", table.name(), ", search seed ", chosen.search_seed(),
      "; the val split's localization: MaxBoxAccV2 on box data, PxAP on mask data):\n\n"
      "| Cell | Trial | Val Loc | Values |\n|---|---|---:|---|\n");
  for (const proto::TunedCell& c : chosen.cell()) {
    std::vector<std::string> values;
    for (const std::string& s : c.set()) values.push_back(s);
    md += absl::StrFormat("| %s | %d of %d%s | %.2f | %s |\n", c.label(), c.trial(), c.trials(),
                          c.scored() < c.trials()
                              ? absl::StrFormat(" (%d without a score: failed or still training)",
                                                c.trials() - c.scored())
                              : "",
                          c.val_score(), MarkdownCell(absl::StrJoin(values, ", ")));
  }
  return md;
}

absl::Status UseTunedValues(const std::string& path, const std::string& name,
                            TableOptions* options) {
  WSOL_ASSIGN_OR_RETURN(const std::string text, ReadRegularFile(path, "tuned values"));
  proto::TunedValues tuned;
  WSOL_RETURN_IF_ERROR(spec::ParseTextProto(text, path, &tuned));
  if (tuned.profile() != options->profile) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": tuned for --profile=", tuned.profile(),
                     "; this table runs --profile=", options->profile));
  }
  WSOL_ASSIGN_OR_RETURN(const proto::TableSpec table, LoadTableSpecFor(name, *options));
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> cells;
  for (int i = 0; i < tuned.cell_size(); ++i) {
    const proto::TunedCell& c = tuned.cell(i);
    const std::string where =
        absl::StrCat(path, ": cell ", i + 1, " (\"", c.group(), ":", c.variant(), "\")");
    bool matches = false;
    for (const proto::TableRun& run : table.runs()) {
      matches |= !c.group().empty() && run.group() == c.group() && run.variant() == c.variant();
    }
    if (!matches) {
      std::vector<std::string> known;
      for (const proto::TableRun& run : table.runs()) known.push_back(CellName(run));
      return absl::InvalidArgumentError(absl::StrCat(where, ": names no row of table ", name,
                                                     " (its cells: ", absl::StrJoin(known, ", "),
                                                     ")"));
    }
    // Each override must name a spec field and a value it can hold, checked here so the
    // error names this file rather than a table row.
    proto::Experiment scratch;
    for (const std::string& s : c.set()) {
      if (absl::Status applied = spec::ApplyOverride(s, &scratch); !applied.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": set \"", s, "\" expected field=value of the spec (", applied.message(), ")"));
      }
    }
    if (!cells
             .emplace(std::make_pair(c.group(), c.variant()),
                      std::vector<std::string>(c.set().begin(), c.set().end()))
             .second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": the cell appears twice"));
    }
  }
  options->tuned = std::move(cells);
  options->tuned_source = path;
  return absl::OkStatus();
}

absl::StatusOr<std::string> Tune(const std::string& name, const TuneOptions& tune,
                                 TableOptions options, const RunFunction& run) {
  WSOL_ASSIGN_OR_RETURN(const proto::TableSpec table, LoadTableSpecFor(name, options));
  const std::string space_path = (fs::path(options.workspace_root) / tune.search_space).string();
  WSOL_ASSIGN_OR_RETURN(proto::SearchSpace space, LoadSearchSpace(space_path));
  if (tune.trials < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--trials=", tune.trials, ": expected at least 1 (0: the search space's)"));
  }
  if (tune.trials > 0) space.set_trials(tune.trials);
  WSOL_ASSIGN_OR_RETURN(const std::vector<int> rows, SelectCells(table, tune.cells));
  // Every trial trains with one seed (the table's first) unless --seeds says otherwise.
  if (options.seeds.empty()) {
    options.seeds.push_back(table.seeds_size() > 0 ? table.seeds(0) : 0);
  }
  options.tuned.clear();
  // The cells' specs as the table plans them, for the parameters' `when`.
  TableOptions plan_options = options;
  plan_options.seeds = {options.seeds.front()};
  WSOL_ASSIGN_OR_RETURN(const std::vector<PlannedRun> cell_runs, PlanRuns(table, plan_options));
  std::vector<proto::Experiment> experiments;
  for (int row : rows) {
    for (const PlannedRun& p : cell_runs) {
      if (p.row == row) {
        experiments.push_back(p.experiment);
        break;
      }
    }
  }
  const std::vector<Trial> trials = DrawTrials(space, table, rows, experiments, tune.search_seed);
  const proto::TableSpec trial_table = TrialTable(table, trials);
  if (options.out_dir.empty()) {
    options.out_dir = (fs::path(options.cache_dir) / "tune" / options.profile / name).string();
  }
  WSOL_ASSIGN_OR_RETURN(const std::vector<PlannedRun> planned, PlanRuns(trial_table, options));
  std::cout << absl::StrFormat(
      "Tuning %s (--profile=%s): %d cells x %d trials x %d seed(s) = %d runs, each scored on "
      "the val split (search space %s, search seed %d)\n%s\n\n",
      name, options.profile, rows.size(), space.trials(), options.seeds.size(), planned.size(),
      tune.search_space, tune.search_seed, PlannedCostSummary(planned, options));
  std::cout << std::flush;
  // A trial that failed before fails again at once (its recorded error), unless --rerun.
  const std::string failed_path = (fs::path(options.out_dir) / kFailedFile).string();
  std::map<std::string, std::string> failures;
  if (!options.rerun) {
    WSOL_ASSIGN_OR_RETURN(failures, ReadFailures(failed_path));
  }
  std::mutex mu;
  const RunFunction remembering =
      [&](const proto::Experiment& experiment,
          const std::string& run_dir) -> absl::StatusOr<proto::RunResults> {
    const std::string key = fs::path(run_dir).filename().string();
    {
      std::lock_guard<std::mutex> lock(mu);
      if (auto known = failures.find(key); known != failures.end()) {
        return absl::AbortedError(absl::StrCat(known->second, " (recorded in ", failed_path,
                                               "; --rerun trains it again)"));
      }
    }
    absl::StatusOr<proto::RunResults> results = run(experiment, run_dir);
    if (!results.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      failures[key] = absl::StrReplaceAll(results.status().message(), {{"\n", " "}, {"\t", " "}});
    }
    return results;
  };
  absl::StatusOr<std::string> ran = RunTable(trial_table, planned, options, remembering);
  if (options.dry_run) return ran;
  std::string failed_note;
  if (!ran.ok()) {
    // A trial that failed (a learning rate that diverges) is a trial without a score; the
    // others still choose. Any other error stops here.
    if (!absl::IsAborted(ran.status())) return ran.status();
    failed_note = absl::StrCat("\nTrials without a score: ", ran.status().message(), "\n");
  }
  const std::vector<std::vector<SeedResults>> per_trial =
      ReadCachedResults(trial_table.runs_size(), planned);
  std::string failed_text;
  for (const PlannedRun& p : planned) {
    const std::string key = fs::path(p.run_dir).filename().string();
    if (auto f = failures.find(key); f != failures.end() && per_trial[p.row].empty()) {
      absl::StrAppend(&failed_text, key, "\t", f->second, "\n");
    }
  }
  WSOL_RETURN_IF_ERROR(WriteFileAtomically(failed_path, failed_text));
  proto::TunedValues chosen = ChooseTrials(table, trials, per_trial);
  chosen.set_profile(options.profile);
  chosen.set_search_seed(tune.search_seed);
  for (uint64_t seed : options.seeds) chosen.add_seeds(seed);
  std::string text;
  google::protobuf::TextFormat::PrintToString(chosen, &text);
  const std::string tuned_path = (fs::path(options.out_dir) / "tuned.pbtxt").string();
  WSOL_RETURN_IF_ERROR(WriteFileAtomically(
      tuned_path, absl::StrCat("# Hyper-parameters chosen on val by //paper_tables:tune (", name,
                               ", ", space.trials(), " trials per cell, search space ",
                               tune.search_space, ").\n# Use: bazel run //paper_tables:", name,
                               " -- --tuned=<this file>\n", text)));
  WSOL_RETURN_IF_ERROR(WriteFileAtomically((fs::path(options.out_dir) / "trials.csv").string(),
                                           TrialsCsv(table, trials, per_trial, chosen)));
  const std::string markdown = ChosenMarkdown(table, chosen);
  WSOL_RETURN_IF_ERROR(
      WriteFileAtomically((fs::path(options.out_dir) / "chosen.md").string(), markdown));
  std::cout << "\n" << markdown << failed_note;
  if (chosen.cell_size() < static_cast<int>(rows.size())) {
    std::cout << rows.size() - chosen.cell_size()
              << " cell(s) have no trial with a val score yet and are left out of " << tuned_path
              << "\n";
  }
  std::cout << "\nThe table with these values: bazel run //paper_tables:" << name
            << " -- --tuned=" << tuned_path
            << (options.profile == "paper" ? " --profile=paper" : "") << "\n";
  return options.out_dir;
}

}  // namespace wsol::tables
