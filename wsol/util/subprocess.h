// subprocess.h
//
// Starts a program with extra environment variables and its output sent to files, and
// waits for it with a deadline. Tests use it to run the same computation under other
// CPU-kernel settings (ATEN_CPU_CAPABILITY, DNNL_MAX_CPU_ISA, ...), which LibTorch reads
// once per process.
//
//   absl::StatusOr<wsol::Subprocess> child = wsol::Subprocess::Start(
//       {.argv = {"/proc/self/exe", "--run_case=cam"},
//        .env = {{"ATEN_CPU_CAPABILITY", "default"}},
//        .stdout_path = dir + "/cam.out", .stderr_path = dir + "/cam.err"});
//   absl::StatusOr<int> exit_code = child->Wait(absl::Minutes(2));
#ifndef WSOL_UTIL_SUBPROCESS_H_
#define WSOL_UTIL_SUBPROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace wsol {

struct SubprocessOptions {
  // argv[0] is the program's path (no PATH search).
  std::vector<std::string> argv;
  // Set in the child on top of this process's environment, in order.
  std::vector<std::pair<std::string, std::string>> env;
  // Files that receive the child's stdout and stderr (truncated); empty: inherited.
  std::string stdout_path;
  std::string stderr_path;
};

class Subprocess {
 public:
  static absl::StatusOr<Subprocess> Start(const SubprocessOptions& options);

  Subprocess(Subprocess&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  // A child still running is killed and reaped.
  ~Subprocess();

  // The child's exit status, or 128 + signal number when a signal ended it. Past the
  // timeout the child is killed and DeadlineExceeded is returned.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  // Without waiting: the exit status as Wait gives it once the child has ended, nullopt
  // while it runs (or after it was already reaped).
  std::optional<int> Poll();
  // Sends `signal` to a child still running.
  void Signal(int signal);

  pid_t pid() const { return pid_; }

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

// From now on SIGTERM, SIGINT and SIGHUP sent to this process are passed on to every
// child that Subprocess started and that still runs, and then end this process as they
// would have. For parents such as the tables' --jobs, whose children would otherwise
// go on training after the parent is stopped. Safe to call more than once.
void ForwardTerminationToChildren();

}  // namespace wsol

#endif  // WSOL_UTIL_SUBPROCESS_H_
