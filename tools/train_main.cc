// Trains and evaluates one experiment spec:
//   bazel run //tools:train -- --spec=baselines/specs/cam_er.pbtxt
//   bazel run //tools:train -- --spec=... --set=optimizer.epochs=2 --validate_only
// Data parallel: --nproc_per_node=N starts N ranks on this machine; under torchrun or
// Slurm each process reads its rank from the environment (wsol/train/distributed.h).
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tools/components.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/distributed.h"
#include "wsol/train/launcher.h"
#include "wsol/train/run_folder.h"
#include "wsol/train/trainer.h"
#include "wsol/util/command_line.h"
#include "wsol/util/paths.h"
#include "wsol/util/phase_times.h"

ABSL_FLAG(std::string, spec, "", "Experiment spec (text-format wsol.proto.Experiment).");
ABSL_FLAG(
    std::vector<std::string>, set, {},
    "Comma-separated overrides applied to the spec, e.g. optimizer.lr=0.02,optimizer.epochs=3.");
ABSL_FLAG(std::string, device, "", "auto, cpu or cuda (overrides runtime.device).");
ABSL_FLAG(int, threads, -1, "Intra-op threads (overrides runtime.threads; 0 = all cores).");
ABSL_FLAG(std::string, output_dir, "", "Run folder (overrides runtime.output_dir).");
ABSL_FLAG(std::string, cache_dir, "",
          "Cache for generated data and default run folders (default: wsol_cache in the "
          "workspace).");
ABSL_FLAG(bool, validate_only, false, "Check the spec, data and model, then stop.");
ABSL_FLAG(int, nproc_per_node, 1,
          "Data-parallel processes to start on this machine (each gets runtime.threads / N "
          "threads unless --threads is given). Under torchrun or Slurm leave it at 1: each "
          "process reads RANK / WORLD_SIZE / MASTER_ADDR / MASTER_PORT (or SLURM_PROCID / "
          "SLURM_NTASKS) from the environment.");
ABSL_FLAG(std::string, dist_backend, "",
          "c10d backend of a data-parallel run: gloo or nccl (default: gloo on CPU, nccl on "
          "CUDA).");
ABSL_FLAG(bool, profile, false,
          "At the end, print where the run's wall time went (a Markdown table): loading the "
          "program, building the run, training (data, forward, backward, optimizer, "
          "diagnostics), the per-epoch observations, saving, the test split.");
ABSL_FLAG(int, dist_timeout_s, 300,
          "Seconds a rank waits for the others (rendezvous, every collective) before failing.");

int main(int argc, char** argv) {
  const absl::Time main_start = absl::Now();
  const double before_main = wsol::SecondsSinceProcessStart();
  const std::vector<std::string> original_args(argv, argv + argc);
  wsol::ParseCommandLineOrExit(
      argc, argv,
      "Trains a WSOL classifier from a spec, scoring the validation split after every epoch, "
      "and evaluates the last (or best) model on test.\n"
      "  train --spec=FILE.pbtxt [--set=a.b=c,...] [--device=cpu] [--validate_only]\n"
      "Paths inside a spec (backbone.pretrained_path, dataset.root, ...) are relative to the "
      "workspace root; paths on the command line to the folder the command runs in.",
      [](absl::string_view word) { return absl::EndsWith(word, ".pbtxt") ? "--spec" : ""; });
  if (absl::GetFlag(FLAGS_spec).empty()) {
    std::cerr << "--spec is required (see --help)\n";
    return 2;
  }
  const int timeout_s = absl::GetFlag(FLAGS_dist_timeout_s);
  if (timeout_s < 1 || timeout_s > 7 * 24 * 3600) {
    std::cerr << "--dist_timeout_s=" << timeout_s << ": expected 1 to 604800 seconds\n";
    return 2;
  }
  const int nproc = absl::GetFlag(FLAGS_nproc_per_node);
  if (nproc < 1 || nproc > 1024) {
    std::cerr << "--nproc_per_node=" << nproc << ": expected 1 to 1024\n";
    return 2;
  }
  if (nproc > 1) {
    // The launcher: this same command once per rank, each a single process of the job.
    std::vector<std::string> child = original_args;
    child[0] = "/proc/self/exe";
    child.push_back("--nproc_per_node=1");
    if (absl::GetFlag(FLAGS_threads) < 0) {
      const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      child.push_back(absl::StrCat("--threads=", std::max(1, cores / nproc)));
    }
    return wsol::train::LaunchLocalRanks(child, nproc);
  }
  absl::StatusOr<wsol::train::DistributedEnv> env = wsol::train::ReadDistributedEnv();
  if (!env.ok()) {
    std::cerr << "data-parallel launch environment: " << env.status().message() << "\n";
    return 2;
  }
  std::vector<std::string> overrides = absl::GetFlag(FLAGS_set);
  if (!absl::GetFlag(FLAGS_device).empty()) {
    overrides.push_back("runtime.device=" + absl::GetFlag(FLAGS_device));
  }
  if (absl::GetFlag(FLAGS_threads) >= 0) {
    overrides.push_back(absl::StrCat("runtime.threads=", absl::GetFlag(FLAGS_threads)));
  }
  if (!absl::GetFlag(FLAGS_output_dir).empty()) {
    // Absolute: a typed path is relative to where the command runs, not to the workspace.
    overrides.push_back(
        "runtime.output_dir=" +
        std::filesystem::absolute(wsol::FromInvocationDir(absl::GetFlag(FLAGS_output_dir)))
            .string());
  }
  absl::StatusOr<wsol::proto::Experiment> spec =
      wsol::spec::LoadExperimentFile(wsol::FromInvocationDir(absl::GetFlag(FLAGS_spec)), overrides,
                                     wsol::tools::StandardValidators());
  if (!spec.ok()) {
    std::cerr << spec.status().message() << "\n";
    return 1;
  }
  // The same files under `bazel run`, bazel-bin/... from any folder, and the tables.
  wsol::spec::ResolveSpecPaths(wsol::WorkspaceRoot(), &*spec);
  wsol::train::TrainerOptions options;
  options.cache_dir = absl::GetFlag(FLAGS_cache_dir).empty()
                          ? wsol::InWorkspace("wsol_cache")
                          : wsol::FromInvocationDir(absl::GetFlag(FLAGS_cache_dir));
  options.validate_only = absl::GetFlag(FLAGS_validate_only);
  options.components = wsol::tools::StandardComponents();
  wsol::PhaseTimes phases;
  if (absl::GetFlag(FLAGS_profile)) {
    phases.Add("start: load the program (before main)", absl::Seconds(before_main));
    phases.Add("start: flags and spec", absl::Now() - main_start);
    options.phases = &phases;
  }
  std::unique_ptr<wsol::train::Communicator> comm;
  if (env->world_size > 1) {
    std::string backend = absl::GetFlag(FLAGS_dist_backend);
    if (backend.empty()) backend = spec->runtime().device() == "cuda" ? "nccl" : "gloo";
    absl::StatusOr<std::unique_ptr<wsol::train::Communicator>> connected =
        wsol::train::Communicator::Connect(*env, backend, absl::Seconds(timeout_s));
    if (!connected.ok()) {
      std::cerr << "error: " << connected.status().message() << "\n";
      return 1;
    }
    comm = std::move(*connected);
    options.communicator = comm.get();
    options.progress = env->rank == 0;
  }
  absl::StatusOr<wsol::proto::RunResults> results = wsol::train::RunExperiment(*spec, options);
  if (!results.ok()) {
    std::cerr << (env->world_size > 1 ? absl::StrCat("rank ", env->rank, ": ") : "")
              << "error: " << results.status().message() << "\n";
    return 1;
  }
  if (env->rank != 0) return 0;  // Rank 0 reports for the job.
  if (options.validate_only) {
    std::cout << "spec OK: " << absl::GetFlag(FLAGS_spec) << "\n";
    return 0;
  }
  const wsol::proto::SplitMetrics& t = results->test();
  std::cout << "test: top-1 cls " << t.top1_cls() << "%";
  if (t.has_boxes()) {
    std::cout << ", top-1 loc " << t.top1_loc() << "%, GT-known loc " << t.gt_known_loc()
              << "%, MaxBoxAccV2 " << t.max_box_acc_v2() << "%";
  }
  if (t.has_masks()) std::cout << ", PxAP " << t.pxap() << "%";
  if (t.has_mpxap()) std::cout << ", mPxAP " << t.mpxap() << "%";
  std::cout << "\nresults: " << wsol::train::RunFolder::PathFor(*spec, options.cache_dir)
            << "/results.json\n";
  if (options.phases != nullptr) {
    std::cout << "\nwall time by phase (--profile):\n"
              << phases.Table(absl::Seconds(before_main) + (absl::Now() - main_start));
  }
  return 0;
}
