// Data-parallel training end to end, on Gloo over loopback with the real binary
// (//tools:train): two ranks train the model one process trains, evaluate to the same
// metrics, and a killed rank stops the job with a message naming it, after which the job
// resumes to the uninterrupted numbers.
//
// The model is BatchNorm-free (VGG16-GAP at width 1/16) and runs in float64, so the only
// difference between one process and two ranks is the order of a few sums (each rank's
// half-batch mean, then the all-reduce): parameters agree to ~1e-15, far inside the
// stated tolerance, while a missing or wrong gradient average moves them by ~1e-3.
#include "wsol/train/distributed.h"

#include <signal.h>
#include <sys/types.h>
#include <torch/types.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tools/components.h"
#include "wsol/proto/experiment.pb.h"
#include "wsol/proto/results.pb.h"
#include "wsol/train/launcher.h"
#include "wsol/train/run_builder.h"
#include "wsol/train/run_folder.h"
#include "wsol/train/training_state.h"
#include "wsol/util/subprocess.h"

namespace wsol::train {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kTrain[] = "tools/train";

// 40 training images in batches of 8 (4 per rank), 20 validation and 20 test images.
constexpr char kSpec[] = R"pb(
  name: "ddp"
  dataset {
    name: "FMNIST_LOC" num_classes: 10 resize_size: 36 crop_size: 32 eval_size: 32
    fmnist_loc { canvas_size: 32 min_item_size: 12 max_item_size: 28
                 train_per_class: 4 val_per_class: 2 test_per_class: 2 seed: 5 }
  }
  backbone { architecture: "vgg16" width_multiplier: 0.0625 }
  method { cam {} }
  regularizer { entropy_kl_uniform { lambda: 0.01 } }
  optimizer { lr: 0.1 classifier_lr_multiplier: 1 epochs: EPOCHS batch_size: 8 }
  evaluation { cam_curve_interval: 0.05 checkpoint_selection: LAST_EPOCH }
  runtime { device: "cpu" threads: 1 loader_workers: 1 seed: 7 precision: FLOAT64 }
)pb";

std::string Dir(const std::string& name) { return ::testing::TempDir() + "/ddp/" + name; }

std::string SpecFile(int epochs) {
  fs::create_directories(Dir(""));
  const std::string path = Dir(absl::StrCat("spec_", epochs, ".pbtxt"));
  std::string text = kSpec;
  text.replace(text.find("EPOCHS"), 6, absl::StrCat(epochs));
  std::ofstream(path) << text;
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `train` on the spec into run folder `run`, with `nproc` ranks; the exit code.
int Train(const std::string& spec, const std::string& run, int nproc, const std::string& log) {
  absl::StatusOr<Subprocess> child = Subprocess::Start(
      {.argv = {kTrain, "--spec=" + spec, "--output_dir=" + Dir(run), "--cache_dir=" + Dir("cache"),
                absl::StrCat("--nproc_per_node=", nproc), "--dist_timeout_s=60"},
       .stdout_path = log,
       .stderr_path = log + ".err"});
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return -1;
  absl::StatusOr<int> status = child->Wait(absl::Minutes(3));
  EXPECT_TRUE(status.ok()) << status.status();
  return status.ok() ? *status : -1;
}

proto::RunResults Results(const std::string& run) {
  absl::StatusOr<proto::RunResults> results = ReadResults(Dir(run));
  EXPECT_TRUE(results.ok()) << run << ": " << results.status();
  return results.ok() ? *results : proto::RunResults();
}

// The test metrics of two runs, exactly equal.
void ExpectSameTestMetrics(const std::string& a, const std::string& b) {
  const proto::RunResults ra = Results(a), rb = Results(b);
  EXPECT_GT(ra.test().images(), 0);
  std::string differences;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differ.Compare(ra.test(), rb.test())) << a << " vs " << b << ":\n" << differences;
}

// The parameters in a run's checkpoint.pt, by name.
std::map<std::string, torch::Tensor> Parameters(const std::string& spec_path,
                                                const std::string& run) {
  proto::Experiment spec;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(ReadFile(spec_path), &spec));
  absl::StatusOr<Model> model = BuildModel(spec, tools::StandardComponents());
  EXPECT_TRUE(model.ok()) << model.status();
  std::map<std::string, torch::Tensor> parameters;
  if (!model.ok()) return parameters;
  LoadCheckpoint(Dir(run) + "/checkpoint.pt", *model->model, nullptr);
  for (const auto& p : model->model->named_parameters()) {
    parameters[p.key()] = p.value().detach().clone();
  }
  return parameters;
}

double MaxDifference(const std::map<std::string, torch::Tensor>& a,
                     const std::map<std::string, torch::Tensor>& b) {
  EXPECT_EQ(a.size(), b.size());
  double most = 0;
  for (const auto& [name, tensor] : a) {
    auto it = b.find(name);
    if (it == b.end()) {
      ADD_FAILURE() << "missing parameter " << name;
      continue;
    }
    most = std::max(most, (tensor - it->second).abs().max().item<double>());
  }
  return most;
}

TEST(DistributedTest, TwoRanksTrainTheModelOneProcessTrains) {
  const std::string spec = SpecFile(3);
  ASSERT_EQ(Train(spec, "one", 1, Dir("one.log")), 0) << ReadFile(Dir("one.log.err"));
  ASSERT_EQ(Train(spec, "two", 2, Dir("two.log")), 0) << ReadFile(Dir("two.log.err"));

  const auto one = Parameters(spec, "one");
  const auto two = Parameters(spec, "two");
  ASSERT_FALSE(one.empty());
  const double difference = MaxDifference(one, two);
  std::cout << "largest parameter difference, 2 ranks vs 1 process: " << difference << "\n";
  EXPECT_LE(difference, 1e-10);
  // The comparison means something: the weights did move between epochs (the training
  // loss changed by far more than the tolerance).
  const proto::RunResults results = Results("two");
  ASSERT_EQ(results.history_size(), 3);
  EXPECT_GT(std::abs(results.history(0).train_loss() - results.history(2).train_loss()), 1e-3);
  EXPECT_THAT(ReadFile(Dir("two.log.err")), HasSubstr("launcher: rank 1 of 2 is pid"));

  // Training losses and accuracies are reduced over the ranks: the same history.
  const proto::RunResults single = Results("one");
  for (int e = 0; e < 3; ++e) {
    EXPECT_NEAR(single.history(e).train_loss(), results.history(e).train_loss(), 1e-12);
    EXPECT_EQ(single.history(e).train_top1(), results.history(e).train_top1());
    EXPECT_NEAR(single.history(e).val_entropy(), results.history(e).val_entropy(), 1e-12);
    EXPECT_NEAR(single.history(e).train_entropy(), results.history(e).train_entropy(), 1e-12);
  }
}

TEST(DistributedTest, TwoRankEvaluationGivesTheOneProcessMetricsExactly) {
  // A finished single-process run, scored again on two ranks (each scores every other
  // image; the counts are merged).
  const std::string spec = SpecFile(1);
  ASSERT_EQ(Train(spec, "eval_one", 1, Dir("eval_one.log")), 0)
      << ReadFile(Dir("eval_one.log.err"));
  fs::copy(Dir("eval_one"), Dir("eval_two"), fs::copy_options::recursive);
  fs::remove(Dir("eval_two") + "/results.json");
  ASSERT_EQ(Train(spec, "eval_two", 2, Dir("eval_two.log")), 0)
      << ReadFile(Dir("eval_two.log.err"));
  ExpectSameTestMetrics("eval_one", "eval_two");
}

// Waits until `path` exists; false after `timeout`.
bool AwaitFile(const std::string& path, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!fs::exists(path)) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

TEST(DistributedTest, AKilledRankStopsTheJobAndTheRerunResumes) {
  const std::string spec = SpecFile(12);
  ASSERT_EQ(Train(spec, "whole", 2, Dir("whole.log")), 0) << ReadFile(Dir("whole.log.err"));

  // Without the launcher (as under torchrun or srun): rank 1 is killed after the first
  // checkpoint; rank 0 must fail on its own, with an error, well within its timeout.
  {
    const int port = FreeLocalPort();
    std::vector<Subprocess> ranks;
    for (int rank = 0; rank < 2; ++rank) {
      absl::StatusOr<Subprocess> child =
          Subprocess::Start({.argv = {kTrain, "--spec=" + spec, "--output_dir=" + Dir("killed"),
                                      "--cache_dir=" + Dir("cache"), "--dist_timeout_s=60"},
                             .env = LocalRankEnvironment(rank, 2, port),
                             .stdout_path = Dir(absl::StrCat("killed_", rank, ".out")),
                             .stderr_path = Dir(absl::StrCat("killed_", rank, ".err"))});
      ASSERT_TRUE(child.ok()) << child.status();
      ranks.push_back(std::move(*child));
    }
    ASSERT_TRUE(AwaitFile(Dir("killed") + "/checkpoint.pt", absl::Minutes(2)))
        << ReadFile(Dir("killed_0.err"));
    ranks[1].Signal(SIGKILL);
    const absl::Time killed = absl::Now();
    absl::StatusOr<int> rank0 = ranks[0].Wait(absl::Seconds(50));
    ASSERT_TRUE(rank0.ok()) << "rank 0 hung after rank 1 died: " << rank0.status();
    EXPECT_EQ(*rank0, 1) << ReadFile(Dir("killed_0.err"));
    EXPECT_LT(absl::Now() - killed, absl::Seconds(50));
    EXPECT_THAT(ReadFile(Dir("killed_0.err")),
                HasSubstr("failed on rank 0 (another rank died, hung or disconnected?)"));
    EXPECT_FALSE(fs::exists(Dir("killed") + "/results.json"));
  }
  fs::remove_all(Dir("unfinished"));
  fs::copy(Dir("killed"), Dir("unfinished"), fs::copy_options::recursive);

  // With the launcher: it names the rank that was killed and stops the other.
  {
    fs::remove_all(Dir("launched"));
    absl::StatusOr<Subprocess> job = Subprocess::Start(
        {.argv = {kTrain, "--spec=" + spec, "--output_dir=" + Dir("launched"),
                  "--cache_dir=" + Dir("cache"), "--nproc_per_node=2", "--dist_timeout_s=60"},
         .stdout_path = Dir("launched.out"),
         .stderr_path = Dir("launched.err")});
    ASSERT_TRUE(job.ok()) << job.status();
    ASSERT_TRUE(AwaitFile(Dir("launched") + "/checkpoint.pt", absl::Minutes(2)))
        << ReadFile(Dir("launched.err"));
    std::smatch match;
    const std::string log = ReadFile(Dir("launched.err"));
    ASSERT_TRUE(std::regex_search(log, match, std::regex("rank 1 of 2 is pid ([0-9]+)"))) << log;
    const pid_t rank1 = std::stoi(match[1]);
    ASSERT_EQ(kill(rank1, SIGKILL), 0);
    absl::StatusOr<int> status = job->Wait(absl::Seconds(50));
    ASSERT_TRUE(status.ok()) << "the launcher hung after rank 1 died: " << status.status();
    EXPECT_EQ(*status, 1);
    EXPECT_THAT(
        ReadFile(Dir("launched.err")),
        HasSubstr(absl::StrCat("launcher: rank 1 (pid ", rank1, ") was killed by signal 9")));
  }

  // Rerun with the same world size: both resume from their checkpoints and end where the
  // uninterrupted job ended.
  for (const std::string run : {"killed", "launched"}) {
    ASSERT_EQ(Train(spec, run, 2, Dir(run + "_rerun.log")), 0)
        << ReadFile(Dir(run + "_rerun.log.err"));
    EXPECT_THAT(ReadFile(Dir(run + "_rerun.log.err")), HasSubstr("resuming"));
    ExpectSameTestMetrics("whole", run);
    EXPECT_EQ(MaxDifference(Parameters(spec, "whole"), Parameters(spec, run)), 0.0) << run;
  }

  // Another world size may not continue an unfinished run: each rank would read other
  // batches than the checkpoint's job did.
  EXPECT_EQ(Train(spec, "unfinished", 1, Dir("unfinished.log")), 1);
  EXPECT_THAT(ReadFile(Dir("unfinished.log.err")), HasSubstr("was written by a 2-process run"));
}

// Ranks started with different specs (another --set on one of them) would train one
// mixed model that rank 0 files under its own fingerprint: each rank refuses at start.
TEST(DistributedTest, RanksWithDifferentSpecsRefuseToTrainTogether) {
  const std::string spec = SpecFile(2);
  const int port = FreeLocalPort();
  std::vector<Subprocess> ranks;
  for (int rank = 0; rank < 2; ++rank) {
    absl::StatusOr<Subprocess> child = Subprocess::Start(
        {.argv = {kTrain, "--spec=" + spec, "--output_dir=" + Dir("mixed"),
                  "--cache_dir=" + Dir("cache"), "--dist_timeout_s=60",
                  rank == 1 ? "--set=optimizer.lr=0.2" : "--set=optimizer.lr=0.1"},
         .env = LocalRankEnvironment(rank, 2, port),
         .stdout_path = Dir(absl::StrCat("mixed_", rank, ".out")),
         .stderr_path = Dir(absl::StrCat("mixed_", rank, ".err"))});
    ASSERT_TRUE(child.ok()) << child.status();
    ranks.push_back(std::move(*child));
  }
  for (int rank = 0; rank < 2; ++rank) {
    absl::StatusOr<int> status = ranks[rank].Wait(absl::Minutes(2));
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_EQ(*status, 1) << ReadFile(Dir(absl::StrCat("mixed_", rank, ".err")));
    EXPECT_THAT(ReadFile(Dir(absl::StrCat("mixed_", rank, ".err"))),
                HasSubstr("the ranks of this data-parallel job have different specs: rank 1's"));
  }
  EXPECT_FALSE(fs::exists(Dir("mixed") + "/checkpoint.pt"));
  EXPECT_FALSE(fs::exists(Dir("mixed") + "/results.json"));
}

}  // namespace
}  // namespace wsol::train
