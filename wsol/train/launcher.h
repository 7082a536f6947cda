// launcher.h
//
// The one-machine launcher of a data-parallel job, as torchrun --nproc_per_node does it:
// starts `nproc` copies of a command, each with the rendezvous environment of its rank
// (distributed.h's LocalRankEnvironment, a free port on 127.0.0.1), and waits for them.
// When one fails or is killed, the launcher says which rank, stops the others and fails.
//
//   const int exit_code = LaunchLocalRanks({"/proc/self/exe", "--spec=...",
//                                           "--nproc_per_node=1"}, 2);
#ifndef WSOL_TRAIN_LAUNCHER_H_
#define WSOL_TRAIN_LAUNCHER_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace wsol::train {

struct LaunchOptions {
  // How long the other ranks get to stop (SIGTERM) before they are killed.
  absl::Duration grace = absl::Seconds(10);
};

// Runs `argv` as ranks 0 .. nproc - 1 (output inherited) and returns 0 when every rank
// exits 0, else 1 after printing which rank failed and how.
int LaunchLocalRanks(const std::vector<std::string>& argv, int nproc,
                     const LaunchOptions& options = {});

// A TCP port on 127.0.0.1 that was free a moment ago (the rendezvous port).
int FreeLocalPort();

}  // namespace wsol::train

#endif  // WSOL_TRAIN_LAUNCHER_H_
