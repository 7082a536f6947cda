// table_runner.h
//
// Expands a table spec into runs, runs or reuses them, and renders the table.
// A run's results are cached under <cache_dir>/runs/<fingerprint>/ where the fingerprint
// hashes the run's full experiment spec (after overrides and seed), so re-running a table
// is instant and a new row trains only that row. --shard=i/n splits the runs across
// machines sharing the cache folder; rendering reads whatever results exist.
#ifndef PAPER_TABLES_LIB_TABLE_RUNNER_H_
#define PAPER_TABLES_LIB_TABLE_RUNNER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "paper_tables/lib/selection.h"
#include "wsol/proto/experiment.pb.h"
#include "wsol/proto/results.pb.h"
#include "wsol/proto/table.pb.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/components.h"

namespace wsol::tables {

struct TableOptions {
  std::string workspace_root = ".";  // Spec paths in the table are relative to it.
  std::string cache_dir = "wsol_cache";
  std::string out_dir;               // Default: <cache_dir>/tables/<table name>.
  std::string profile = "embedded";  // "embedded" or "paper".
  std::string data_root;             // Real data sets (paper profile).
  std::string device = "auto";
  int threads = 0;
  bool rerun = false;
  bool dry_run = false;
  bool print_specs = false;  // With dry_run: every run's fields and what set each.
  int shard_index = 0;
  int shard_count = 1;
  // Runs trained at once. The run function is called from that many threads, so with
  // jobs > 1 it must be safe to call concurrently (the table binaries then train each run
  // in a process of its own, with threads / jobs intra-op threads).
  int jobs = 1;
  std::vector<std::string> extra_set;  // Overrides for every run (--set).
  std::vector<uint64_t> seeds;         // Replace the table's seeds when not empty (--seeds).
  // Pretrained weights per backbone architecture (--pretrained=resnet50=PATH,...): set as
  // backbone.pretrained_path of every run of that architecture.
  std::map<std::string, std::string> pretrained;
  // The paper profile refuses runs without pretrained weights unless this is set.
  bool allow_random_init = false;
  // Hyper-parameters chosen on val by //paper_tables:tune (--tuned=FILE): per row (group,
  // variant), overrides applied after the row's own set and before --set. tuned_source
  // names the file (in --print_specs and the table's note).
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> tuned;
  std::string tuned_source;
  // Checks each run's components at planning (tools::StandardValidators()).
  spec::ComponentValidators validators;
  // The method table and data source, for figures that load trained models.
  train::Components components;
};

struct PlannedRun {
  int row = 0;  // Index into TableSpec.runs.
  uint64_t seed = 0;
  proto::Experiment experiment;
  std::string fingerprint;
  std::string run_dir;
  // The spec one field per line with the fragment, override or flag that set it
  // (spec::DescribeSources), for --dry_run --print_specs.
  std::string sources;
};

// Loads a TableSpec text file (errors name file:line:column).
absl::StatusOr<proto::TableSpec> LoadTableSpec(const std::string& path);

// The tables and figures of options.profile, sorted: the stems of
// paper_tables/specs[/paper]/*.pbtxt under options.workspace_root. NotFound when that
// folder is missing (the binary was started outside the workspace and not by bazel run).
absl::StatusOr<std::vector<std::string>> TableNames(const TableOptions& options);

// The spec of table `name` for options.profile: paper_tables/specs[/paper]/<name>.pbtxt
// under options.workspace_root. An unknown name is NotFound listing the profile's tables.
absl::StatusOr<proto::TableSpec> LoadTableSpecFor(const std::string& name,
                                                  const TableOptions& options);

// Reads table->references (a PublishedValues file under workspace_root; nothing when
// unset) and adds each value to the rows of its group and variant. Errors name the file
// and the value. LoadTableSpecFor calls it.
absl::Status AttachReferences(const std::string& workspace_root, proto::TableSpec* table);

// Expands rows x seeds into runs with their final specs and cache folders. Overrides
// apply in order: the table's, the row's, the tuned values (options.tuned), --set, then
// --device and --threads (which, like name, change no run folder).
absl::StatusOr<std::vector<PlannedRun>> PlanRuns(const proto::TableSpec& table,
                                                 const TableOptions& options);

// What the paper profile's runs need before training: the data root and each run's
// prepared data set, and pretrained weights for every run (unless allow_random_init).
// Empty when everything is there; otherwise one line per problem, saying what to do.
std::vector<std::string> PaperPrerequisites(const std::vector<PlannedRun>& runs,
                                            const TableOptions& options);

// Trains and evaluates one run into run_dir (writing results.json there).
using RunFunction = std::function<absl::StatusOr<proto::RunResults>(
    const proto::Experiment& experiment, const std::string& run_dir)>;

// Runs (or reuses) this shard's planned runs, then renders the table from every run
// with results: Markdown on stdout, <out_dir>/<name>.{md,csv,json}. Returns the out_dir
// (empty for a dry run, which only lists the runs).
absl::StatusOr<std::string> RunTable(const proto::TableSpec& table,
                                     const std::vector<PlannedRun>& runs,
                                     const TableOptions& options, const RunFunction& run);
// PlanRuns, then RunTable.
absl::StatusOr<std::string> RunTable(const proto::TableSpec& table, const TableOptions& options,
                                     const RunFunction& run);

// What this shard's runs without results will cost: "N to train, M cached, about X
// CPU-minutes and Y MB[ in this shard]" (run_cost.h).
std::string PlannedCostSummary(const std::vector<PlannedRun>& runs, const TableOptions& options);

// The verified cached results of each row of `runs`' table (rows in all), seed by seed.
std::vector<std::vector<SeedResults>> ReadCachedResults(int rows,
                                                        const std::vector<PlannedRun>& runs);

// For table.selection_from: plans table `from` (its own seeds, or options.seeds when
// given, as for this table), reads its cached results,
// and appends to `shown` and `per_row`, for each of its groups that `shown` also has and
// whose runs are all cached, its baseline and its ER row chosen on val (ChooseOnVal) as a
// new pair. The study is planned without options.tuned (its own grid is its search). Returns a note
// naming the command that trains the groups not yet cached (empty when none).
absl::StatusOr<std::string> AppendChosenRows(const std::string& from, const TableOptions& options,
                                             proto::TableSpec* shown,
                                             std::vector<std::vector<SeedResults>>* per_row);

// A column's value for one run: a test-split metric by its SplitMetrics field name, the
// same on the val split as "val_<field>", or a last-epoch training diagnostic
// ("train_entropy", the mean entropy of the training predictions, ...); NaN when absent.
double MetricValue(const proto::RunResults& results, const std::string& column);
// The paper's name for a column ("gt_known_loc" -> "GT-known Loc").
std::string ColumnTitle(const std::string& column);

// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
std::string CsvField(const std::string& text);
// A Markdown table cell: a '|' (as in "KL(u||p)") would end the cell.
std::string MarkdownCell(const std::string& text);

struct RenderedTable {
  std::string markdown;
  std::string csv;
};
// Renders rows (one per TableRun, all its finished seeds): each cell the mean ± sample
// standard deviation over seeds; rows missing results show "failed" when in
// `failed_rows`, else "pending". After the ER row of a group comes a Δ row: the mean of
// the paired per-seed differences (ER seed s minus baseline seed s) with its 95%
// t-interval, marked "*" when the interval excludes zero. With table.selection, each
// group's ER row chosen on val (ChooseOnVal) follows at the end with its Δ. The CSV has
// every seed's value and the intervals.
RenderedTable RenderTable(const proto::TableSpec& table,
                          const std::vector<std::vector<SeedResults>>& results_per_row,
                          const std::set<int>& failed_rows = {});

}  // namespace wsol::tables

#endif  // PAPER_TABLES_LIB_TABLE_RUNNER_H_
