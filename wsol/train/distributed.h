// distributed.h
//
// Data-parallel training on LibTorch's torch.distributed engine (c10d): the launch
// environment torchrun and Slurm set, a process group (Gloo on CPUs, NCCL on CUDA) over a
// TCPStore that rank 0 hosts, and the few collectives the trainer needs. No communication
// code of our own: every byte goes through c10d.
//
//   WSOL_ASSIGN_OR_RETURN(DistributedEnv env, ReadDistributedEnv());
//   if (env.world_size > 1) {
//     WSOL_ASSIGN_OR_RETURN(std::unique_ptr<Communicator> comm,
//                           Communicator::Connect(env, "gloo", absl::Seconds(120)));
//     trainer_options.communicator = comm.get();
//   }
//
// A rank that dies makes every collective of the others fail within `timeout` (Gloo
// reports the closed connection at once, a hung peer at the timeout); the error names the
// operation and this rank, and the launcher (//tools:train --nproc_per_node) names
// the rank that died.
#ifndef WSOL_TRAIN_DISTRIBUTED_H_
#define WSOL_TRAIN_DISTRIBUTED_H_

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "wsol/train/train_step.h"

namespace wsol::train {

// Where this process stands in a data-parallel job.
struct DistributedEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;  // Rank on this machine (picks the GPU under CUDA).
  std::string master_addr;
  int master_port = 0;
};

// Reads torchrun's variables (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) or,
// without WORLD_SIZE, Slurm's (SLURM_NTASKS, SLURM_PROCID, SLURM_LOCALID; MASTER_ADDR and
// MASTER_PORT as with torchrun). Neither set, or a world of one: a single process.
// InvalidArgument naming the variable for a missing or bad value (RANK >= WORLD_SIZE, a
// port outside [1, 65535], ...). `getenv` is std::getenv unless a test passes its own.
absl::StatusOr<DistributedEnv> ReadDistributedEnv(
    const std::function<const char*(const char*)>& getenv = nullptr);

// The environment variables that make process `rank` of `world_size` on this machine,
// rendezvousing at 127.0.0.1:`port` (what the one-machine launcher sets).
std::vector<std::pair<std::string, std::string>> LocalRankEnvironment(int rank, int world_size,
                                                                      int port);

class Communicator {
 public:
  // Joins the job: rank 0 hosts the TCPStore at master_addr:master_port, every rank
  // creates the process group. `backend` is "gloo" or "nccl" (a CUDA LibTorch only).
  static absl::StatusOr<std::unique_ptr<Communicator>> Connect(const DistributedEnv& env,
                                                               const std::string& backend,
                                                               absl::Duration timeout);
  ~Communicator();

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }

  // Sums each tensor over the ranks, in place. `what` names the step in errors.
  absl::Status AllReduceSum(std::vector<at::Tensor>& tensors, const std::string& what);
  // Copies rank `root`'s tensors into every rank's.
  absl::Status Broadcast(std::vector<at::Tensor>& tensors, int root, const std::string& what);
  // Waits until every rank reaches the same barrier.
  absl::Status Barrier(const std::string& what);

  // The same collectives, throwing c10::Error: for code running inside TorchStatus.
  void AllReduceSumOrThrow(std::vector<at::Tensor>& tensors, const std::string& what);
  void BroadcastOrThrow(std::vector<at::Tensor>& tensors, int root, const std::string& what);

 private:
  struct Group;
  friend std::unique_ptr<StepSync> MakeStepSync(Communicator& comm, WsolModel& model);
  Communicator(DistributedEnv env, std::unique_ptr<Group> group);
  DistributedEnv env_;
  std::unique_ptr<Group> group_;
};

// TrainStep's data-parallel part on `comm` for `model` (whose parameters must already be
// rank 0's): buffers broadcast from rank 0 before each forward pass, the finite flags
// summed, and the gradients averaged by c10d's Reducer, DistributedDataParallel's own
// engine: parameters in buckets (1 MB first, then 25 MB, in reverse order as DDP does),
// each bucket's all-reduce started as soon as backward has produced all its gradients, so
// communication overlaps the rest of the backward pass. Parameters a step does not use
// are found and left out (find_unused_parameters).
std::unique_ptr<StepSync> MakeStepSync(Communicator& comm, WsolModel& model);

// Copies rank 0's parameters and buffers into every rank's model (at the start of a run
// and after a resume), so all ranks step from the same weights.
void BroadcastModel(Communicator& comm, WsolModel& model);

}  // namespace wsol::train

#endif  // WSOL_TRAIN_DISTRIBUTED_H_
