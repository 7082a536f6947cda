// Trains and evaluates one experiment spec:
//   bazel run //wsol/train:train -- --spec=baselines/specs/cam_er.pbtxt
//   bazel run //wsol/train:train -- --spec=... --set=optimizer.epochs=2 --validate_only
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "tools/components.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/run_folder.h"
#include "wsol/train/trainer.h"
#include "wsol/util/paths.h"

ABSL_FLAG(std::string, spec, "", "Experiment spec (text-format wsol.proto.Experiment).");
ABSL_FLAG(std::vector<std::string>, set, {},
          "Comma-separated overrides applied to the spec, e.g. optimizer.lr=0.02,optimizer.epochs=3.");
ABSL_FLAG(std::string, device, "", "auto, cpu or cuda (overrides runtime.device).");
ABSL_FLAG(int, threads, -1, "Intra-op threads (overrides runtime.threads; 0 = all cores).");
ABSL_FLAG(std::string, output_dir, "", "Run folder (overrides runtime.output_dir).");
ABSL_FLAG(std::string, cache_dir, "",
          "Cache for generated data and default run folders (default: wsol_cache in the "
          "workspace).");
ABSL_FLAG(bool, validate_only, false, "Check the spec, data and model, then stop.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Trains a WSOL classifier from a spec, scoring the validation split after every epoch, "
      "and evaluates the last (or best) model on test.\n  train --spec=FILE.pbtxt [--set=a.b=c,...] [--device=cpu] "
      "[--validate_only]");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_spec).empty()) {
    std::cerr << "--spec is required (see --help)\n";
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
    overrides.push_back("runtime.output_dir=" + wsol::FromInvocationDir(absl::GetFlag(FLAGS_output_dir)));
  }
  absl::StatusOr<wsol::proto::Experiment> spec =
      wsol::spec::LoadExperimentFile(wsol::FromInvocationDir(absl::GetFlag(FLAGS_spec)), overrides,
                                     wsol::tools::StandardValidators());
  if (!spec.ok()) {
    std::cerr << spec.status().message() << "\n";
    return 1;
  }
  wsol::train::TrainerOptions options;
  options.cache_dir = absl::GetFlag(FLAGS_cache_dir).empty()
                          ? wsol::InWorkspace("wsol_cache")
                          : wsol::FromInvocationDir(absl::GetFlag(FLAGS_cache_dir));
  options.validate_only = absl::GetFlag(FLAGS_validate_only);
  options.components = wsol::tools::StandardComponents();
  absl::StatusOr<wsol::proto::RunResults> results = wsol::train::RunExperiment(*spec, options);
  if (!results.ok()) {
    std::cerr << "error: " << results.status().message() << "\n";
    return 1;
  }
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
  return 0;
}
