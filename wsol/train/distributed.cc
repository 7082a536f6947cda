#include "wsol/train/distributed.h"

#include <c10/util/Exception.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <map>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#include <unordered_map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace wsol::train {
namespace {

// The integer in variable `name`, or an error naming it.
absl::StatusOr<int> IntVariable(const std::function<const char*(const char*)>& getenv,
                                const char* name, int min, int max) {
  const char* value = getenv(name);
  if (value == nullptr || *value == '\0') {
    return absl::InvalidArgumentError(absl::StrCat(name, " is not set"));
  }
  int parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed) || parsed < min || parsed > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, "=\"", value, "\": expected an integer in [", min, ", ", max, "]"));
  }
  return parsed;
}

absl::Status Failed(const std::string& what, int rank, const std::exception& e) {
  return absl::UnavailableError(
      absl::StrCat("distributed ", what, " failed on rank ", rank,
                   " (another rank died, hung or disconnected?): ", e.what()));
}

}  // namespace

absl::StatusOr<DistributedEnv> ReadDistributedEnv(
    const std::function<const char*(const char*)>& getenv_or_null) {
  const std::function<const char*(const char*)> getenv =
      getenv_or_null ? getenv_or_null : [](const char* name) { return std::getenv(name); };
  const bool torchrun = getenv("WORLD_SIZE") != nullptr;
  const bool slurm = !torchrun && getenv("SLURM_NTASKS") != nullptr;
  DistributedEnv env;
  if (!torchrun && !slurm) return env;
  const char* world_name = torchrun ? "WORLD_SIZE" : "SLURM_NTASKS";
  const char* rank_name = torchrun ? "RANK" : "SLURM_PROCID";
  const char* local_name = torchrun ? "LOCAL_RANK" : "SLURM_LOCALID";
  constexpr int kMaxWorld = 1 << 16;
  absl::StatusOr<int> world = IntVariable(getenv, world_name, 1, kMaxWorld);
  if (!world.ok()) return world.status();
  env.world_size = *world;
  if (env.world_size == 1) return env;
  absl::StatusOr<int> rank = IntVariable(getenv, rank_name, 0, kMaxWorld);
  if (!rank.ok()) return rank.status();
  if (*rank >= env.world_size) {
    return absl::InvalidArgumentError(absl::StrCat(rank_name, "=", *rank, " but ", world_name, "=",
                                                   env.world_size,
                                                   ": a rank must be below the world size"));
  }
  env.rank = *rank;
  if (getenv(local_name) != nullptr) {
    absl::StatusOr<int> local = IntVariable(getenv, local_name, 0, kMaxWorld);
    if (!local.ok()) return local.status();
    env.local_rank = *local;
  }
  const char* addr = getenv("MASTER_ADDR");
  if (addr == nullptr || *addr == '\0') {
    return absl::InvalidArgumentError(
        "MASTER_ADDR is not set (the host of rank 0, where the ranks meet)");
  }
  env.master_addr = addr;
  absl::StatusOr<int> port = IntVariable(getenv, "MASTER_PORT", 1, 65535);
  if (!port.ok()) return port.status();
  env.master_port = *port;
  return env;
}

std::vector<std::pair<std::string, std::string>> LocalRankEnvironment(int rank, int world_size,
                                                                      int port) {
  return {{"MASTER_ADDR", "127.0.0.1"},
          {"MASTER_PORT", absl::StrCat(port)},
          {"WORLD_SIZE", absl::StrCat(world_size)},
          {"RANK", absl::StrCat(rank)},
          {"LOCAL_RANK", absl::StrCat(rank)},
          {"LOCAL_WORLD_SIZE", absl::StrCat(world_size)}};
}

struct Communicator::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> group;
};

Communicator::Communicator(DistributedEnv env, std::unique_ptr<Group> group)
    : env_(std::move(env)), group_(std::move(group)) {}

Communicator::~Communicator() = default;

absl::StatusOr<std::unique_ptr<Communicator>> Communicator::Connect(const DistributedEnv& env,
                                                                    const std::string& backend,
                                                                    absl::Duration timeout) {
  if (env.world_size < 2) {
    return absl::InvalidArgumentError("a communicator needs a world of at least two ranks");
  }
  if (backend != "gloo") {
    return absl::UnimplementedError(
        absl::StrCat("distributed backend \"", backend,
                     "\": this build has Gloo only (NCCL needs a CUDA LibTorch built with it)"));
  }
  const auto ms = std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout));
  auto group = std::make_unique<Group>();
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(env.master_port);
    store_options.isServer = env.rank == 0;
    store_options.numWorkers = env.world_size;
    store_options.waitWorkers = true;
    store_options.timeout = ms;
    group->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, store_options);
    auto options = c10d::ProcessGroupGloo::Options::create(ms);
    const bool loopback = env.master_addr == "127.0.0.1" || env.master_addr == "localhost";
    options->devices.push_back(loopback
                                   ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                   : c10d::ProcessGroupGloo::createDefaultDevice());
    options->threads = 2;
    group->group = c10::make_intrusive<c10d::ProcessGroupGloo>(group->store, env.rank,
                                                               env.world_size, options);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat(
        "rank ", env.rank, " of ", env.world_size, " could not join the job at ", env.master_addr,
        ":", env.master_port, " within ", absl::FormatDuration(timeout), ": ", e.what()));
  }
  return std::unique_ptr<Communicator>(new Communicator(env, std::move(group)));
}

void Communicator::AllReduceSumOrThrow(std::vector<at::Tensor>& tensors, const std::string& what) {
  for (at::Tensor& tensor : tensors) {
    std::vector<at::Tensor> one = {tensor};
    try {
      group_->group->allreduce(one, c10d::AllreduceOptions())->wait();
    } catch (const std::exception& e) {
      TORCH_CHECK(false, Failed(what, rank(), e).message());
    }
  }
}

void Communicator::BroadcastOrThrow(std::vector<at::Tensor>& tensors, int root,
                                    const std::string& what) {
  for (at::Tensor& tensor : tensors) {
    std::vector<at::Tensor> one = {tensor};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    try {
      group_->group->broadcast(one, options)->wait();
    } catch (const std::exception& e) {
      TORCH_CHECK(false, Failed(what, rank(), e).message());
    }
  }
}

absl::Status Communicator::AllReduceSum(std::vector<at::Tensor>& tensors, const std::string& what) {
  try {
    AllReduceSumOrThrow(tensors, what);
  } catch (const c10::Error& e) {
    return absl::UnavailableError(e.what_without_backtrace());
  }
  return absl::OkStatus();
}

absl::Status Communicator::Broadcast(std::vector<at::Tensor>& tensors, int root,
                                     const std::string& what) {
  try {
    BroadcastOrThrow(tensors, root, what);
  } catch (const c10::Error& e) {
    return absl::UnavailableError(e.what_without_backtrace());
  }
  return absl::OkStatus();
}

absl::Status Communicator::Barrier(const std::string& what) {
  try {
    group_->group->barrier(c10d::BarrierOptions())->wait();
  } catch (const std::exception& e) {
    return Failed(what, rank(), e);
  }
  return absl::OkStatus();
}

namespace {

// Runs `collective` on one flat tensor per scalar type holding all of `tensors`, then
// copies the results back into them.
void Flattened(const std::vector<at::Tensor>& tensors,
               const std::function<void(at::Tensor&)>& collective) {
  std::map<c10::ScalarType, std::vector<at::Tensor>> by_type;
  for (const at::Tensor& t : tensors) by_type[t.scalar_type()].push_back(t);
  for (auto& [type, group] : by_type) {
    std::vector<at::Tensor> flat_views;
    for (const at::Tensor& t : group) flat_views.push_back(t.reshape({-1}));
    at::Tensor flat = torch::cat(flat_views);
    collective(flat);
    int64_t offset = 0;
    torch::NoGradGuard no_grad;
    for (const at::Tensor& t : group) {
      t.copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }
}

class ReducerStepSync : public StepSync {
 public:
  ReducerStepSync(Communicator& comm, c10::intrusive_ptr<c10d::ProcessGroup> group,
                  WsolModel& model)
      : comm_(comm) {
    std::vector<at::Tensor> params;
    std::unordered_map<size_t, std::string> names;
    for (const auto& p : model.named_parameters()) {
      if (!p.value().requires_grad()) continue;
      names[params.size()] = p.key();
      params.push_back(p.value());
    }
    const std::vector<bool> sparse(params.size(), false);
    auto [buckets, limits] = c10d::compute_bucket_assignment_by_size(
        params,
        {static_cast<size_t>(c10d::kDefaultFirstBucketBytes),
         static_cast<size_t>(c10d::kDefaultBucketBytesCap)},
        sparse);
    // The last parameters' gradients come first in backward: their bucket goes first.
    std::reverse(buckets.begin(), buckets.end());
    std::reverse(limits.begin(), limits.end());
    reducer_ = std::make_unique<c10d::Reducer>(
        params, std::move(buckets), std::move(limits), std::move(group), sparse,
        c10d::kDefaultBucketBytesCap, /*find_unused_parameters=*/true,
        /*gradient_as_bucket_view=*/false, std::move(names), c10d::kDefaultFirstBucketBytes);
  }

  void SyncBuffers(WsolModel& model) override {
    std::vector<at::Tensor> buffers = model.buffers();
    if (buffers.empty()) return;
    Flattened(buffers, [&](at::Tensor& flat) {
      std::vector<at::Tensor> one = {flat};
      comm_.BroadcastOrThrow(one, 0, "buffer broadcast");
    });
  }

  bool AllFinite(bool finite) override {
    std::vector<at::Tensor> flag = {torch::tensor({finite ? int64_t{0} : int64_t{1}})};
    comm_.AllReduceSumOrThrow(flag, "loss check");
    return flag[0].item<int64_t>() == 0;
  }

  void BeforeBackward(const at::Tensor& loss) override {
    try {
      reducer_->prepare_for_backward({loss});
    } catch (const std::exception& e) {
      TORCH_CHECK(false, Failed("gradient reduction", comm_.rank(), e).message());
    }
  }

  // The Reducer has averaged the gradients by the end of backward (its final callback
  // waits for the buckets' all-reduces and writes the means into .grad).
  void AverageGradients(WsolModel&) override {}

 private:
  Communicator& comm_;
  std::unique_ptr<c10d::Reducer> reducer_;
};

}  // namespace

std::unique_ptr<StepSync> MakeStepSync(Communicator& comm, WsolModel& model) {
  return std::make_unique<ReducerStepSync>(comm, comm.group_->group, model);
}

void BroadcastModel(Communicator& comm, WsolModel& model) {
  std::vector<at::Tensor> state;
  for (const at::Tensor& p : model.parameters()) state.push_back(p.detach());
  for (const at::Tensor& b : model.buffers()) state.push_back(b);
  torch::NoGradGuard no_grad;
  Flattened(state, [&](at::Tensor& flat) {
    std::vector<at::Tensor> one = {flat};
    comm.BroadcastOrThrow(one, 0, "model broadcast");
  });
}

}  // namespace wsol::train
