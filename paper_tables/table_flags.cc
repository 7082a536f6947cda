#include "paper_tables/table_flags.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "paper_tables/lib/job_runner.h"
#include "tools/components.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/trainer.h"
#include "wsol/util/paths.h"
#include "wsol/util/subprocess.h"

ABSL_FLAG(std::string, table, "",
          "Which table or figure (a spec name under paper_tables/specs); default: the "
          "binary's own name, so bazel-bin/paper_tables/table2 runs table2.");
ABSL_FLAG(std::string, profile, "embedded", "embedded (FMNIST-Loc, CPU) or paper (real data).");
ABSL_FLAG(std::string, data_root, "", "Folder of prepared real data sets (paper profile).");
ABSL_FLAG(std::string, cache_dir, "", "Run cache (default: wsol_cache in the workspace).");
ABSL_FLAG(std::string, out_dir, "",
          "Output folder (default: <cache_dir>/tables/<name>; for tune, "
          "<cache_dir>/tune/<profile>/<table>).");
ABSL_FLAG(bool, rerun, false, "Retrain runs even when cached results exist.");
ABSL_FLAG(bool, dry_run, false, "List the runs, their specs and cost without training.");
ABSL_FLAG(bool, print_specs, false,
          "With --dry_run: print each run's resolved spec, one field per line, with the "
          "fragment, override or flag that set it.");
ABSL_FLAG(std::string, shard, "0/1", "Run only shard i of n (i/n); results merge in the cache.");
ABSL_FLAG(std::vector<std::string>, set, {}, "Overrides for every run, e.g. optimizer.epochs=2.");
ABSL_FLAG(std::vector<std::string>, seeds, {},
          "Seeds to run instead of the table's, e.g. 0 for a quick look (default: the table's).");
ABSL_FLAG(std::string, device, "auto", "auto, cpu or cuda.");
ABSL_FLAG(int, threads, 0, "Intra-op threads per run (0 = all cores, shared out among --jobs).");
ABSL_FLAG(int, jobs, 0,
          "Runs trained at once, each in a process of its own (0 = one per core on a CPU, "
          "one with CUDA).");
ABSL_FLAG(std::vector<std::string>, pretrained, {},
          "Pretrained weights per backbone, ARCH=PATH pairs, e.g. "
          "resnet50=w/resnet50.pt,vgg16=w/vgg16.pt (written by //tools:import_weights): "
          "every run of that architecture starts from them.");
ABSL_FLAG(bool, allow_random_init, false,
          "Paper profile: train runs that have no pretrained weights from random weights "
          "(refused by default: the paper fine-tunes ImageNet weights).");
ABSL_FLAG(std::string, run_planned, "",
          "Internal: train the one run whose full spec is in this file (what --jobs starts).");

namespace wsol::tables {

std::optional<int> RunPlannedIfAsked() {
  const std::string path = absl::GetFlag(FLAGS_run_planned);
  if (path.empty()) return std::nullopt;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<proto::Experiment> spec = spec::ParseExperiment(text.str(), path);
  if (!spec.ok()) {
    std::cerr << spec.status().message() << "\n";
    return 1;
  }
  train::TrainerOptions trainer;
  trainer.cache_dir = absl::GetFlag(FLAGS_cache_dir);
  trainer.components = tools::StandardComponents();
  absl::StatusOr<proto::RunResults> results = train::RunExperiment(*spec, trainer);
  if (!results.ok()) {
    std::cerr << "error: " << results.status().message() << "\n";
    return 1;
  }
  return 0;
}

absl::StatusOr<TableOptions> TableOptionsFromFlags() {
  TableOptions options;
  options.profile = absl::GetFlag(FLAGS_profile);
  if (options.profile != "embedded" && options.profile != "paper") {
    return absl::InvalidArgumentError(
        absl::StrCat("--profile=", options.profile, ": expected embedded or paper"));
  }
  options.data_root = FromInvocationDir(absl::GetFlag(FLAGS_data_root));
  if (options.profile == "paper" && options.data_root.empty() && !absl::GetFlag(FLAGS_dry_run)) {
    return absl::InvalidArgumentError(
        "--profile=paper needs --data_root (datasets prepared by //datasets:prepare)");
  }
  if (const std::string root = WorkspaceRoot(); !root.empty()) options.workspace_root = root;
  for (const std::string& pair : absl::GetFlag(FLAGS_pretrained)) {
    const std::vector<std::string> parts = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--pretrained: \"", pair, "\": expected ARCH=PATH, e.g. resnet50=w.pt"));
    }
    options.pretrained[parts[0]] = FromInvocationDir(parts[1]);
  }
  options.allow_random_init = absl::GetFlag(FLAGS_allow_random_init);
  options.cache_dir = absl::GetFlag(FLAGS_cache_dir).empty()
                          ? InWorkspace("wsol_cache")
                          : FromInvocationDir(absl::GetFlag(FLAGS_cache_dir));
  options.out_dir = FromInvocationDir(absl::GetFlag(FLAGS_out_dir));
  options.rerun = absl::GetFlag(FLAGS_rerun);
  options.dry_run = absl::GetFlag(FLAGS_dry_run);
  options.print_specs = absl::GetFlag(FLAGS_print_specs);
  options.extra_set = absl::GetFlag(FLAGS_set);
  options.device = absl::GetFlag(FLAGS_device);
  options.threads = absl::GetFlag(FLAGS_threads);
  // On a CPU, one single-thread run per core trains faster than one run on every core
  // (the small embedded models do not scale over threads); a GPU takes one run at a time.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const bool cuda =
      options.device == "cuda" || (options.device == "auto" && train::CudaAvailable());
  const int jobs = absl::GetFlag(FLAGS_jobs);
  if (jobs < 0 || jobs > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("--jobs=", jobs, ": expected 0 (one per core) to 256"));
  }
  if (options.threads < 0 || options.threads > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("--threads=", options.threads, ": expected 0 (all cores) to 1024"));
  }
  options.jobs = jobs > 0 ? jobs : (cuda ? 1 : cores);
  if (options.jobs > 1 && options.threads == 0) options.threads = std::max(1, cores / options.jobs);
  for (const std::string& seed : absl::GetFlag(FLAGS_seeds)) {
    uint64_t value = 0;
    if (!absl::SimpleAtoi(seed, &value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--seeds: \"", seed, "\" is not a non-negative integer"));
    }
    options.seeds.push_back(value);
  }
  const std::vector<std::string> shard = absl::StrSplit(absl::GetFlag(FLAGS_shard), '/');
  if (shard.size() != 2 || !absl::SimpleAtoi(shard[0], &options.shard_index) ||
      !absl::SimpleAtoi(shard[1], &options.shard_count)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--shard=", absl::GetFlag(FLAGS_shard), ": expected i/n, e.g. 0/2"));
  }
  options.validators = tools::StandardValidators();
  options.components = tools::StandardComponents();
  return options;
}

std::optional<int> ExitCodeOrOptions(TableOptions* options) {
  if (std::optional<int> code = RunPlannedIfAsked()) return code;
  absl::StatusOr<TableOptions> from_flags = TableOptionsFromFlags();
  if (!from_flags.ok()) {
    std::cerr << from_flags.status().message() << "\n";
    return 2;
  }
  *options = *std::move(from_flags);
  return std::nullopt;
}

std::string TableFlagHint(absl::string_view word) {
  return absl::StartsWith(word, "table") || absl::StartsWith(word, "figure") ? "--table" : "";
}

std::string TableNameFromFlags(const std::string& argv0) {
  return absl::GetFlag(FLAGS_table).empty() ? std::filesystem::path(argv0).filename().string()
                                            : absl::GetFlag(FLAGS_table);
}

RunFunction RunFunctionFor(const TableOptions& options) {
  if (options.jobs > 1) {
    // Stopping the table (Ctrl-C, SIGTERM from a scheduler) stops the runs it started.
    ForwardTerminationToChildren();
    return ProcessRunFunction("/proc/self/exe", options.cache_dir);
  }
  train::TrainerOptions trainer;
  trainer.cache_dir = options.cache_dir;
  trainer.components = options.components;
  return [trainer](const proto::Experiment& experiment, const std::string&) {
    return train::RunExperiment(experiment, trainer);
  };
}

}  // namespace wsol::tables
