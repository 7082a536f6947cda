// fault_injection.h (testonly)
//
// Faults a test can cause on purpose, without root or a special file system:
// - FileSizeLimit: a full disk, played by the process's file-size limit (RLIMIT_FSIZE):
//   a write past it fails with EFBIG, as one on a full disk fails with ENOSPC (SIGXFSZ is
//   ignored meanwhile, so the process lives to report it);
// - EndedProcessId: the pid of a process that has ended, as a killed writer leaves in the
//   names of its temporary files;
// - EntriesOf: what a folder holds afterwards (names, sorted), to show nothing was left.
//
//   {
//     wsol::testing::FileSizeLimit full_disk(64 << 10);
//     EXPECT_THAT(WriteFileAtomically(path, big), StatusIs(kResourceExhausted));
//   }  // The limit is lifted here.
#ifndef WSOL_UTIL_FAULT_INJECTION_H_
#define WSOL_UTIL_FAULT_INJECTION_H_

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace wsol::testing {

class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    previous_handler_ = signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &previous_);
    rlimit limit = previous_;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &previous_);
    signal(SIGXFSZ, previous_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit previous_;
  sighandler_t previous_handler_;
};

inline pid_t EndedProcessId() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return child;
}

inline std::vector<std::string> EntriesOf(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace wsol::testing

#endif  // WSOL_UTIL_FAULT_INJECTION_H_
