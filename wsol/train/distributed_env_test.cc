// The launch environment: torchrun's and Slurm's variables, and bad values refused by name.
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wsol/train/distributed.h"
#include "wsol/util/status_matchers.h"

namespace wsol::train {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

absl::StatusOr<DistributedEnv> Read(const std::map<std::string, std::string>& vars) {
  return ReadDistributedEnv([&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

TEST(DistributedEnvTest, NothingSetIsOneProcess) {
  absl::StatusOr<DistributedEnv> env = Read({});
  ASSERT_THAT(env, IsOk());
  EXPECT_EQ(env->world_size, 1);
  EXPECT_EQ(env->rank, 0);
  // A world of one needs no rendezvous.
  EXPECT_EQ(Read({{"WORLD_SIZE", "1"}})->world_size, 1);
}

TEST(DistributedEnvTest, TorchrunVariables) {
  absl::StatusOr<DistributedEnv> env = Read({{"WORLD_SIZE", "4"},
                                             {"RANK", "3"},
                                             {"LOCAL_RANK", "1"},
                                             {"MASTER_ADDR", "node7"},
                                             {"MASTER_PORT", "29500"}});
  ASSERT_THAT(env, IsOk());
  EXPECT_EQ(env->world_size, 4);
  EXPECT_EQ(env->rank, 3);
  EXPECT_EQ(env->local_rank, 1);
  EXPECT_EQ(env->master_addr, "node7");
  EXPECT_EQ(env->master_port, 29500);
}

TEST(DistributedEnvTest, SlurmVariables) {
  absl::StatusOr<DistributedEnv> env = Read({{"SLURM_NTASKS", "8"},
                                             {"SLURM_PROCID", "5"},
                                             {"SLURM_LOCALID", "1"},
                                             {"MASTER_ADDR", "10.0.0.1"},
                                             {"MASTER_PORT", "12345"}});
  ASSERT_THAT(env, IsOk());
  EXPECT_EQ(env->world_size, 8);
  EXPECT_EQ(env->rank, 5);
  EXPECT_EQ(env->local_rank, 1);
}

TEST(DistributedEnvTest, BadRendezvousIsRefusedByName) {
  const std::map<std::string, std::string> good = {
      {"WORLD_SIZE", "2"}, {"RANK", "1"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "29500"}};
  auto without = [&](const std::string& name) {
    auto vars = good;
    vars.erase(name);
    return Read(vars);
  };
  auto with = [&](const std::string& name, const std::string& value) {
    auto vars = good;
    vars[name] = value;
    return Read(vars);
  };
  EXPECT_THAT(without("MASTER_PORT"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("MASTER_PORT is not set")));
  EXPECT_THAT(without("MASTER_ADDR"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("MASTER_ADDR is not set")));
  EXPECT_THAT(without("RANK"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("RANK is not set")));
  EXPECT_THAT(with("RANK", "2"), StatusIs(absl::StatusCode::kInvalidArgument,
                                          AllOf(HasSubstr("RANK=2"), HasSubstr("WORLD_SIZE=2"))));
  EXPECT_THAT(with("MASTER_PORT", "70000"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("MASTER_PORT=\"70000\"")));
  EXPECT_THAT(with("WORLD_SIZE", "two"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("WORLD_SIZE=\"two\"")));
  EXPECT_THAT(with("WORLD_SIZE", "0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("WORLD_SIZE=\"0\"")));
}

TEST(DistributedEnvTest, TheLocalLauncherEnvironmentReadsBack) {
  std::map<std::string, std::string> vars;
  for (const auto& [name, value] : LocalRankEnvironment(1, 2, 4242)) vars[name] = value;
  absl::StatusOr<DistributedEnv> env = Read(vars);
  ASSERT_THAT(env, IsOk());
  EXPECT_EQ(env->rank, 1);
  EXPECT_EQ(env->world_size, 2);
  EXPECT_EQ(env->master_port, 4242);
  EXPECT_EQ(env->master_addr, "127.0.0.1");
}

}  // namespace
}  // namespace wsol::train
