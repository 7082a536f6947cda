#include "wsol/train/launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "wsol/train/distributed.h"
#include "wsol/util/subprocess.h"

namespace wsol::train {

int FreeLocalPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 29500;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  int port = 29500;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

namespace {

std::string HowItEnded(int status) {
  if (status > 128) return absl::StrFormat("was killed by signal %d", status - 128);
  return absl::StrFormat("exited with status %d", status);
}

}  // namespace

int LaunchLocalRanks(const std::vector<std::string>& argv, int nproc,
                     const LaunchOptions& options) {
  const int port = FreeLocalPort();
  std::vector<std::optional<Subprocess>> ranks(nproc);
  for (int rank = 0; rank < nproc; ++rank) {
    absl::StatusOr<Subprocess> child =
        Subprocess::Start({.argv = argv, .env = LocalRankEnvironment(rank, nproc, port)});
    if (!child.ok()) {
      std::cerr << absl::StrFormat("launcher: cannot start rank %d: %s\n", rank,
                                   child.status().message());
      return 1;  // The ranks started so far are killed as `ranks` goes.
    }
    std::cerr << absl::StrFormat("launcher: rank %d of %d is pid %d (127.0.0.1:%d)\n", rank, nproc,
                                 child->pid(), port);
    ranks[rank].emplace(std::move(*child));
  }
  int running = nproc;
  while (running > 0) {
    // Every rank that ended since the last look; the ones a signal ended come first, since
    // the others most likely failed because they lost them.
    std::vector<std::pair<int, std::string>> failed;  // (rank, message)
    bool signalled = false;
    for (int rank = 0; rank < nproc; ++rank) {
      if (!ranks[rank]) continue;
      const pid_t pid = ranks[rank]->pid();
      const std::optional<int> status = ranks[rank]->Poll();
      if (!status) continue;
      ranks[rank].reset();
      --running;
      if (*status == 0) continue;
      const std::string line =
          absl::StrFormat("launcher: rank %d (pid %d) %s", rank, pid, HowItEnded(*status));
      if (*status > 128 && !signalled) {
        failed.insert(failed.begin(), {rank, line});
        signalled = true;
      } else {
        failed.emplace_back(rank, line);
      }
    }
    if (!failed.empty()) {
      for (const auto& [rank, line] : failed) std::cerr << line << "\n";
      std::cerr << "launcher: stopping the other ranks\n";
      for (auto& other : ranks) {
        if (other) other->Signal(SIGTERM);
      }
      const absl::Time deadline = absl::Now() + options.grace;
      for (auto& other : ranks) {
        if (!other) continue;
        const absl::Duration left = std::max(absl::ZeroDuration(), deadline - absl::Now());
        (void)other->Wait(left);  // Killed past the deadline.
        other.reset();
      }
      return 1;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return 0;
}

}  // namespace wsol::train
