#include "paper_tables/lib/job_runner.h"

#include <deque>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/run_folder.h"
#include "wsol/util/file_io.h"
#include "wsol/util/subprocess.h"

namespace wsol::tables {

namespace fs = std::filesystem;

std::string TailOfFile(const std::string& path, int lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  return absl::StrJoin(last, "\n");
}

RunFunction ProcessRunFunction(const std::string& program, const std::string& cache_dir) {
  return [program, cache_dir](const proto::Experiment& experiment,
                              const std::string& run_dir) -> absl::StatusOr<proto::RunResults> {
    std::error_code ec;
    fs::create_directories(run_dir, ec);
    if (ec) return absl::InternalError(absl::StrCat(run_dir, ": ", ec.message()));
    const std::string spec_path = (fs::path(run_dir) / "job_spec.pbtxt").string();
    if (absl::Status written = WriteFileAtomically(spec_path, experiment.DebugString());
        !written.ok()) {
      return written;
    }
    const std::string log = (fs::path(run_dir) / "train.log").string();
    absl::StatusOr<Subprocess> child = Subprocess::Start(
        {.argv = {program, "--run_planned=" + spec_path, "--cache_dir=" + cache_dir},
         .stdout_path = log,
         .stderr_path = log});
    if (!child.ok()) return child.status();
    absl::StatusOr<int> code = child->Wait(absl::Hours(24 * 7));
    if (!code.ok()) return code.status();
    if (*code != 0) {
      return absl::InternalError(
          absl::StrCat("exit status ", *code, "; the end of ", log, ":\n", TailOfFile(log, 5)));
    }
    return train::ReadVerifiedResults(run_dir, spec::ResultFingerprint(experiment));
  };
}

}  // namespace wsol::tables
