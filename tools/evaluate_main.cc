// evaluate: scores saved CAMs (<image_id>.npy, or <image_id>_<label>.npy per label with
// --multi_label) against wsolevaluation-format metadata.
//
//   bazel run //tools:evaluate -- --metadata=metadata/CUB/test --scoremaps=run/scoremaps
//   bazel run //tools:evaluate -- --metadata=metadata/OpenImages/test
//       --scoremaps=run/scoremaps --mask_root=dataset/OpenImages --json_out=pxap.json
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "wsol/evaluation/evaluate_folder.h"
#include "wsol/util/command_line.h"
#include "wsol/util/file_io.h"
#include "wsol/util/paths.h"
#include "wsol/util/progress.h"

ABSL_FLAG(std::string, metadata, "",
          "Split folder in wsolevaluation's format (image_ids.txt, class_labels.txt, "
          "image_sizes.txt, localization.txt). Box or mask evaluation follows "
          "localization.txt.");
ABSL_FLAG(std::string, scoremaps, "",
          "Folder of score maps <image_id>.npy: 2-D float32/float64, eval_size x eval_size, "
          "values in [0, 1].");
ABSL_FLAG(std::string, mask_root, "",
          "Folder the mask and ignore paths of localization.txt are relative to (masks only).");
ABSL_FLAG(double, cam_curve_interval, 0.01,
          "CAM thresholds are 0, d, 2d, ... < 1 (numpy.arange(0, 1, d)); also the PxAP bin "
          "width. Training-time wsolevaluation uses 0.001.");
ABSL_FLAG(bool, multi_contour_eval, true,
          "Boxes of every contour (MaxBoxAccV2); false keeps the largest contour only "
          "(MaxBoxAcc; wsolevaluation's evaluation.py default).");
ABSL_FLAG(std::string, iou_thresholds, "30,50,70",
          "Comma-separated IoU thresholds in percent (MaxBoxAcc: 50).");
ABSL_FLAG(double, box_threshold, 0.15, "Fixed CAM threshold sigma of GT-known Loc.");
ABSL_FLAG(bool, multi_label, false,
          "Multi-label mask data (PASCAL VOC): one score map per label, "
          "<image_id>_<label>.npy, each scored against its label's own mask (the i-th mask "
          "line of an image belongs to its i-th label); reports mPxAP and the pooled PxAP.");
ABSL_FLAG(int, num_classes, 0,
          "Classes of the mPxAP mean (--multi_label); 0: one more than the largest label.");
ABSL_FLAG(int, eval_size, 224, "Side of the score maps; boxes and masks are resized to it.");
ABSL_FLAG(int, threads, 0, "Worker threads; 0 uses every hardware thread.");
ABSL_FLAG(std::string, json_out, "",
          "Also write the results as JSON to this file (a regular file or a link to one), "
          "or to standard output with - (the text report then goes to standard error).");
ABSL_FLAG(int, progress_min_images, 200,
          "Show a progress bar on stderr for sets of at least this many images.");

int main(int argc, char** argv) {
  wsol::ParseCommandLineOrExit(
      argc, argv,
      "Scores saved class activation maps with the wsolevaluation protocol (MaxBoxAcc, "
      "MaxBoxAccV2, GT-known Loc, PxAP), reproducing its Python numbers exactly, and "
      "mPxAP for multi-label masks (--multi_label).\n"
      "  evaluate --metadata=<split folder> --scoremaps=<folder of <image_id>.npy> "
      "[--mask_root=<folder>] [--cam_curve_interval=0.001] [--multi_contour_eval=false "
      "--iou_thresholds=50] [--json_out=results.json]");

  wsol::evaluation::EvaluateFolderOptions options;
  options.metadata = wsol::FromInvocationDir(absl::GetFlag(FLAGS_metadata));
  options.scoremaps = wsol::FromInvocationDir(absl::GetFlag(FLAGS_scoremaps));
  options.mask_root = wsol::FromInvocationDir(absl::GetFlag(FLAGS_mask_root));
  options.cam_curve_interval = absl::GetFlag(FLAGS_cam_curve_interval);
  options.multi_contour = absl::GetFlag(FLAGS_multi_contour_eval);
  options.sigma = absl::GetFlag(FLAGS_box_threshold);
  options.multi_label = absl::GetFlag(FLAGS_multi_label);
  options.num_classes = absl::GetFlag(FLAGS_num_classes);
  options.eval_size = absl::GetFlag(FLAGS_eval_size);
  options.threads = absl::GetFlag(FLAGS_threads);
  if (options.metadata.empty() || options.scoremaps.empty()) {
    std::cerr << "evaluate: --metadata and --scoremaps are required (see --help)\n";
    return 2;
  }
  options.iou_thresholds.clear();
  for (const absl::string_view part :
       absl::StrSplit(absl::GetFlag(FLAGS_iou_thresholds), ',', absl::SkipWhitespace())) {
    int value = 0;
    if (!absl::SimpleAtoi(part, &value)) {
      std::cerr << "evaluate: --iou_thresholds: \"" << part << "\" is not an integer\n";
      return 2;
    }
    options.iou_thresholds.push_back(value);
  }
  // The bar appears only for large sets; its size is known once the metadata is read,
  // so the callback decides on its first call.
  const int64_t min_images = absl::GetFlag(FLAGS_progress_min_images);
  std::unique_ptr<wsol::ProgressBar> bar;
  options.progress = [&](int64_t done, int64_t total) {
    if (total < min_images) return;
    if (bar == nullptr) bar = std::make_unique<wsol::ProgressBar>("evaluate", total, "img");
    bar->Advance();
    if (done == total) bar->Finish();
  };

  // A bad --json_out is refused before the evaluation, not after it.
  const std::string json_out = absl::GetFlag(FLAGS_json_out) == "-"
                                   ? "-"
                                   : wsol::FromInvocationDir(absl::GetFlag(FLAGS_json_out));
  if (!json_out.empty() && json_out != "-") {
    if (const absl::StatusOr<std::string> target = wsol::OutputTarget(json_out); !target.ok()) {
      std::cerr << "evaluate: --json_out: " << target.status().message() << "\n";
      return 2;
    }
  }
  const absl::StatusOr<wsol::evaluation::EvaluationReport> report =
      wsol::evaluation::EvaluateFolder(options);
  if (!report.ok()) {
    bar.reset();  // Its final line must not follow the error.
    std::cerr << "evaluate: " << report.status() << "\n";
    return 1;
  }
  if (json_out == "-") {
    std::cout << wsol::evaluation::ReportToJson(*report) << std::flush;
    std::cerr << wsol::evaluation::FormatReport(*report);
    return std::cout.good() ? 0 : 1;
  }
  if (!json_out.empty()) {
    const absl::Status written =
        wsol::WriteFileAtomically(json_out, wsol::evaluation::ReportToJson(*report));
    if (!written.ok()) {
      std::cerr << "evaluate: --json_out: " << written << "\n";
      return 1;
    }
  }
  std::cout << wsol::evaluation::FormatReport(*report);
  return 0;
}
