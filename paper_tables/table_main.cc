// Regenerates one table or figure of the paper:
//   bazel run //paper_tables:table1                        # embedded profile, CPU
//   bazel run //paper_tables:table1 -- --profile=paper --data_root=/data --device=cuda
//   bazel run //paper_tables:table2 -- --dry_run           # list runs and cost, train nothing
//   bazel run //paper_tables:table1 -- --shard=0/2         # half the runs (share --cache_dir)
// Each target passes --table=<name>; the spec is paper_tables/specs[/paper]/<name>.pbtxt.
// The binary only parses flags and wires the standard components into RegenerateTable
// (paper_tables/lib/table_command.h).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "paper_tables/lib/job_runner.h"
#include "paper_tables/lib/table_command.h"
#include "paper_tables/lib/table_runner.h"
#include "tools/components.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/trainer.h"
#include "wsol/util/command_line.h"
#include "wsol/util/paths.h"
#include "wsol/util/subprocess.h"

ABSL_FLAG(std::string, table, "",
          "Which table or figure (a spec name under paper_tables/specs); default: the "
          "binary's own name, so bazel-bin/paper_tables/table2 runs table2.");
ABSL_FLAG(std::string, profile, "embedded", "embedded (FMNIST-Loc, CPU) or paper (real data).");
ABSL_FLAG(std::string, data_root, "", "Folder of prepared real data sets (paper profile).");
ABSL_FLAG(std::string, cache_dir, "", "Run cache (default: wsol_cache in the workspace).");
ABSL_FLAG(std::string, out_dir, "", "Output folder (default: <cache_dir>/tables/<name>).");
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

namespace {

// A child of --jobs: trains one planned run and exits 0, or prints the error and exits 1.
int RunPlanned(const std::string& path, const std::string& cache_dir) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<wsol::proto::Experiment> spec = wsol::spec::ParseExperiment(text.str(), path);
  if (!spec.ok()) {
    std::cerr << spec.status().message() << "\n";
    return 1;
  }
  wsol::train::TrainerOptions trainer;
  trainer.cache_dir = cache_dir;
  trainer.components = wsol::tools::StandardComponents();
  absl::StatusOr<wsol::proto::RunResults> results = wsol::train::RunExperiment(*spec, trainer);
  if (!results.ok()) {
    std::cerr << "error: " << results.status().message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  wsol::ParseCommandLineOrExit(
      argc, argv,
      "Regenerates a table or figure of 'Entropy Regularization for WSOL': expands its spec "
      "into runs, trains or reuses them (cached by spec hash), prints the Markdown table and "
      "writes CSV, JSON and PNG files.",
      [](absl::string_view word) {
        return absl::StartsWith(word, "table") || absl::StartsWith(word, "figure") ? "--table" : "";
      });
  if (!absl::GetFlag(FLAGS_run_planned).empty()) {
    return RunPlanned(absl::GetFlag(FLAGS_run_planned), absl::GetFlag(FLAGS_cache_dir));
  }
  wsol::tables::TableOptions options;
  options.profile = absl::GetFlag(FLAGS_profile);
  if (options.profile != "embedded" && options.profile != "paper") {
    std::cerr << "--profile=" << options.profile << ": expected embedded or paper\n";
    return 2;
  }
  options.data_root = wsol::FromInvocationDir(absl::GetFlag(FLAGS_data_root));
  if (options.profile == "paper" && options.data_root.empty() && !absl::GetFlag(FLAGS_dry_run)) {
    std::cerr << "--profile=paper needs --data_root (datasets prepared by //datasets:prepare)\n";
    return 2;
  }
  if (const std::string root = wsol::WorkspaceRoot(); !root.empty()) options.workspace_root = root;
  for (const std::string& pair : absl::GetFlag(FLAGS_pretrained)) {
    const std::vector<std::string> parts = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
      std::cerr << "--pretrained: \"" << pair << "\": expected ARCH=PATH, e.g. resnet50=w.pt\n";
      return 2;
    }
    options.pretrained[parts[0]] = wsol::FromInvocationDir(parts[1]);
  }
  options.allow_random_init = absl::GetFlag(FLAGS_allow_random_init);
  options.cache_dir = absl::GetFlag(FLAGS_cache_dir).empty()
                          ? wsol::InWorkspace("wsol_cache")
                          : wsol::FromInvocationDir(absl::GetFlag(FLAGS_cache_dir));
  options.out_dir = wsol::FromInvocationDir(absl::GetFlag(FLAGS_out_dir));
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
      options.device == "cuda" || (options.device == "auto" && wsol::train::CudaAvailable());
  if (absl::GetFlag(FLAGS_jobs) < 0 || absl::GetFlag(FLAGS_jobs) > 256) {
    std::cerr << "--jobs=" << absl::GetFlag(FLAGS_jobs) << ": expected 0 (one per core) to 256\n";
    return 2;
  }
  if (options.threads < 0 || options.threads > 1024) {
    std::cerr << "--threads=" << options.threads << ": expected 0 (all cores) to 1024\n";
    return 2;
  }
  options.jobs = absl::GetFlag(FLAGS_jobs) > 0 ? absl::GetFlag(FLAGS_jobs) : (cuda ? 1 : cores);
  if (options.jobs > 1 && options.threads == 0) options.threads = std::max(1, cores / options.jobs);
  for (const std::string& seed : absl::GetFlag(FLAGS_seeds)) {
    uint64_t value = 0;
    if (!absl::SimpleAtoi(seed, &value)) {
      std::cerr << "--seeds: \"" << seed << "\" is not a non-negative integer\n";
      return 2;
    }
    options.seeds.push_back(value);
  }
  std::vector<std::string> shard = absl::StrSplit(absl::GetFlag(FLAGS_shard), '/');
  if (shard.size() != 2 || !absl::SimpleAtoi(shard[0], &options.shard_index) ||
      !absl::SimpleAtoi(shard[1], &options.shard_count)) {
    std::cerr << "--shard=" << absl::GetFlag(FLAGS_shard) << ": expected i/n, e.g. 0/2\n";
    return 2;
  }
  const std::string name = absl::GetFlag(FLAGS_table).empty()
                               ? std::filesystem::path(argv[0]).filename().string()
                               : absl::GetFlag(FLAGS_table);
  options.validators = wsol::tools::StandardValidators();
  options.components = wsol::tools::StandardComponents();
  wsol::train::TrainerOptions trainer;
  trainer.cache_dir = options.cache_dir;
  trainer.components = options.components;
  wsol::tables::RunFunction run = [&](const wsol::proto::Experiment& experiment,
                                      const std::string&) {
    return wsol::train::RunExperiment(experiment, trainer);
  };
  if (options.jobs > 1) {
    run = wsol::tables::ProcessRunFunction("/proc/self/exe", options.cache_dir);
    // Stopping the table (Ctrl-C, SIGTERM from a scheduler) stops the runs it started.
    wsol::ForwardTerminationToChildren();
  }
  absl::StatusOr<std::vector<std::string>> known = wsol::tables::TableNames(options);
  if (!known.ok()) {
    std::cerr << "error: " << known.status().message() << "\n";
    return 1;
  }
  if (std::find(known->begin(), known->end(), name) == known->end()) {
    // An unknown table name is a usage error.
    std::cerr << "unknown table \"" << name << "\" for --profile=" << options.profile
              << "; known: " << absl::StrJoin(*known, ", ") << "\n";
    return 2;
  }
  absl::StatusOr<std::string> out = wsol::tables::RegenerateTable(name, options, run);
  if (!out.ok()) {
    std::cerr << "error: " << out.status().message() << "\n";
    return 1;
  }
  if (options.dry_run) return 0;
  std::cout << "\noutputs: " << *out << "\n";
  return 0;
}
