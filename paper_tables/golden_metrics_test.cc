// Golden-metric tests: tiny deterministic configurations (a few hundred 32-px FMNIST-Loc
// images, the embedded specs' PreResNet-18 fine-tuned from its shipped pretrained weights,
// one thread) whose test metrics must equal the recorded ones in
// paper_tables/goldens/<name>.pbtxt. The goldens are recorded runs of this very test,
// rewritten only by
//   bazel run //paper_tables:golden_metrics_test -- --update_goldens
// (tools/regenerate_goldens.sh), never edited by hand. A spec without a golden fails.
//
// The numbers must hold on any x86-64 CPU, not only on the one that recorded them. Float32
// training is chaotic: the last-bit differences between CPU kernels (ATen's vector width,
// oneDNN's kernel choice, libm's FMA variants) grow into different models within a few
// steps. So the golden runs train in float64 (runtime.precision = FLOAT64), where those
// differences start some nine orders of magnitude smaller, and the test proves it: it
// reruns every case in child processes under other kernel settings (ATEN_CPU_CAPABILITY,
// DNNL_MAX_CPU_ISA, OpenCV's dispatch, glibc's hardware capabilities), each generating its
// own data, and requires the same numbers from all of them.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tools/components.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/trainer.h"
#include "wsol/util/subprocess.h"

namespace wsol::tables {
namespace {

namespace fs = std::filesystem;

bool update_goldens = false;

// Each golden: a baseline spec plus the overrides that make it tiny. Two groups, two test
// targets (--cases=GROUP): "core" (CAM, ER and CutMix, rerun under every kernel setting)
// and "methods" (every other method, rerun under the two settings farthest from the
// recording machine's, to keep the target near two minutes).
struct GoldenCase {
  const char* name;
  const char* spec;
  const char* group;
};
constexpr GoldenCase kCases[] = {
    {"cam", "baselines/specs/cam.pbtxt", "core"},
    {"cam_er", "baselines/specs/cam_er.pbtxt", "core"},
    {"cutmix_er", "baselines/specs/cutmix_er.pbtxt", "core"},
    {"has", "baselines/specs/has.pbtxt", "methods"},
    {"adl", "baselines/specs/adl.pbtxt", "methods"},
    {"rdap", "baselines/specs/rdap.pbtxt", "methods"},
    {"acol", "baselines/specs/acol.pbtxt", "methods"},
    {"spg", "baselines/specs/spg.pbtxt", "methods"},
};

// The group this process tests (--cases=GROUP; default "core").
std::string selected_group = "core";

std::vector<GoldenCase> SelectedCases() {
  std::vector<GoldenCase> cases;
  for (const GoldenCase& c : kCases) {
    if (selected_group == c.group) cases.push_back(c);
  }
  return cases;
}

// Two epochs of 100 training images (4 batches each) at 32 px in float64: every method's
// training, scoring and metrics end to end, at about half the cost of 200 images (the
// mutants of tools/mutation_check.sh that name these tests still fail them).
const std::vector<std::string>& TinyOverrides() {
  static const auto* overrides =
      new std::vector<std::string>{"dataset.fmnist_loc.train_per_class=10",
                                   "dataset.fmnist_loc.val_per_class=4",
                                   "dataset.fmnist_loc.test_per_class=6",
                                   "optimizer.epochs=2",
                                   "optimizer.batch_size=32",
                                   "runtime.threads=1",
                                   "runtime.device=cpu",
                                   "runtime.precision=FLOAT64",
                                   "evaluation.cam_curve_interval=0.01",
                                   "dataset.resize_size=36",
                                   "dataset.crop_size=32",
                                   "dataset.eval_size=32",
                                   "dataset.fmnist_loc.canvas_size=32",
                                   "dataset.fmnist_loc.min_item_size=12",
                                   "dataset.fmnist_loc.max_item_size=28"};
  return *overrides;
}

// The kernel settings every case is rerun under. LibTorch and oneDNN read these
// variables once per process, hence child processes. "oldest" stands in for a CPU
// without AVX: every library at its most basic code path at once.
struct KernelSetting {
  const char* name;
  std::vector<std::pair<std::string, std::string>> env;
};
const std::vector<KernelSetting>& AllKernelSettings() {
  static const auto* settings = new std::vector<KernelSetting>{
      {"aten_default", {{"ATEN_CPU_CAPABILITY", "default"}}},
      {"aten_avx2", {{"ATEN_CPU_CAPABILITY", "avx2"}}},
      {"dnnl_sse41", {{"DNNL_MAX_CPU_ISA", "SSE41"}}},
      {"dnnl_avx2", {{"DNNL_MAX_CPU_ISA", "AVX2"}}},
      {"oldest",
       {{"ATEN_CPU_CAPABILITY", "default"},
        {"DNNL_MAX_CPU_ISA", "SSE41"},
        {"OPENCV_CPU_DISABLE", "AVX512F,AVX2,FMA3,AVX,FP16,POPCNT,SSE4.2,SSE4.1,SSSE3"},
        {"GLIBC_TUNABLES", "glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX2,-FMA,-AVX"}}},
  };
  return *settings;
}

// Whether `setting` only names the code path this process takes anyway, so that rerunning
// under it repeats the in-process run. ATen 1.13 runs AVX2 by default on any CPU with AVX2
// and FMA (its AVX-512 path is opt-in); oneDNN takes its widest path, AVX2 on a CPU with
// AVX2 and FMA but neither AVX-512 nor AVX-VNNI. Neither holds when this process's own
// environment already chooses a path.
bool IsThisCpusOwnPath(const std::string& setting) {
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (setting == "aten_avx2") return avx2 && std::getenv("ATEN_CPU_CAPABILITY") == nullptr;
  if (setting == "dnnl_avx2") {
    const bool wider = __builtin_cpu_supports("avx512f") || __builtin_cpu_supports("avxvnni");
    return avx2 && !wider && std::getenv("DNNL_MAX_CPU_ISA") == nullptr &&
           std::getenv("ONEDNN_MAX_CPU_ISA") == nullptr;
  }
  return false;
}

// The settings of the selected group: all of them, or for "methods" ATen's scalar path
// and every library at its most basic path (the two farthest from an AVX2 machine's);
// less any that is this CPU's own path (the in-process run has run it).
std::vector<KernelSetting> KernelSettings() {
  std::vector<KernelSetting> settings;
  for (const KernelSetting& k : AllKernelSettings()) {
    const std::string name = k.name;
    if (IsThisCpusOwnPath(name)) {
      std::cerr << "kernel setting " << name
                << ": the path this process takes anyway, checked by the in-process run\n";
      continue;
    }
    if (selected_group == "core" || name == "aten_default" || name == "oldest") {
      settings.push_back(k);
    }
  }
  return settings;
}

// Entropy is a mean of floating-point values, not a count: across the kernel settings it
// agreed to within 4e-13 nats (measured on the recorded cases), so 1e-9 leaves over three orders
// of magnitude of room and still catches any change to the model.
constexpr double kEntropyTolerance = 1e-9;

std::string GoldenPath(const std::string& name) {
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  const std::string root = update_goldens && workspace != nullptr ? workspace : ".";
  return root + "/paper_tables/goldens/" + name + ".pbtxt";
}

// Trains one case in this process; `cache_dir` holds its generated data.
absl::StatusOr<proto::SplitMetrics> RunCase(const GoldenCase& c, const std::string& work_dir) {
  absl::StatusOr<proto::Experiment> spec =
      spec::LoadExperimentFile(c.spec, TinyOverrides(), tools::StandardValidators());
  if (!spec.ok()) return spec.status();
  const std::string dir = work_dir + "/run_" + c.name;
  fs::remove_all(dir);
  spec->mutable_runtime()->set_output_dir(dir);
  train::TrainerOptions options;
  options.components = tools::StandardComponents();
  options.cache_dir = work_dir + "/cache";
  options.progress = false;
  absl::StatusOr<proto::RunResults> results = train::RunExperiment(*spec, options);
  if (!results.ok()) return results.status();
  return results->test();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::StatusOr<proto::SplitMetrics> ParseMetrics(const std::string& path) {
  proto::SplitMetrics metrics;
  if (!fs::is_regular_file(path) ||
      !google::protobuf::TextFormat::ParseFromString(ReadFile(path), &metrics)) {
    return absl::NotFoundError(absl::StrCat(path, " is missing or unreadable"));
  }
  return metrics;
}

// Every case under every kernel setting, each setting in a child process with its own
// folder and generated data. The children start before the first test (when the
// cross-setting test is to run at all), so they run beside the in-process cases, and are
// killed at the end if still running.
using SettingResults = std::map<std::string, absl::StatusOr<proto::SplitMetrics>>;
struct RunningSetting {
  const KernelSetting* setting;
  std::string dir;
  absl::StatusOr<Subprocess> child;
};
std::vector<RunningSetting>& Running() {
  static auto* running = new std::vector<RunningSetting>;
  return *running;
}
// Every child must be done by then: within Bazel's 15 minutes for a large test, so that a
// slow child is reported with its stderr rather than cut off.
absl::Time& ChildrenDeadline() {
  static absl::Time deadline;
  return deadline;
}

class KernelSettingsEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (update_goldens || !CrossSettingTestRuns()) return;
    static const auto* settings = new std::vector<KernelSetting>(KernelSettings());
    const std::string root = ::testing::TempDir() + "/kernel_settings";
    fs::remove_all(root);
    ChildrenDeadline() = absl::Now() + absl::Minutes(13);
    for (const KernelSetting& setting : *settings) {
      const std::string dir = root + "/" + setting.name;
      fs::create_directories(dir);
      Running().push_back({&setting, dir,
                           Subprocess::Start({.argv = {"/proc/self/exe", "--run_cases=" + dir,
                                                       "--cases=" + selected_group},
                                              .env = setting.env,
                                              .stdout_path = dir + "/stdout.txt",
                                              .stderr_path = dir + "/stderr.txt"})});
    }
  }
  // A child still running (its test filtered out, or failed early) is killed here.
  void TearDown() override { Running().clear(); }

 private:
  static bool CrossSettingTestRuns() {
    const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
    for (int i = 0; i < unit.total_test_suite_count(); ++i) {
      const ::testing::TestSuite& suite = *unit.GetTestSuite(i);
      for (int j = 0; j < suite.total_test_count(); ++j) {
        const ::testing::TestInfo& test = *suite.GetTestInfo(j);
        if (test.should_run() &&
            absl::StartsWith(test.name(), "SameNumbersUnderEveryKernelSetting")) {
          return true;
        }
      }
    }
    return false;
  }
};

const std::map<std::string, SettingResults>& ResultsUnderEverySetting() {
  static const auto* all = [] {
    auto* results = new std::map<std::string, SettingResults>;
    for (RunningSetting& r : Running()) {
      absl::StatusOr<int> code =
          r.child.ok() ? r.child->Wait(std::max(ChildrenDeadline() - absl::Now(), absl::Seconds(1)))
                       : absl::StatusOr<int>(r.child.status());
      for (const GoldenCase& c : SelectedCases()) {
        if (!code.ok() || *code != 0) {
          (*results)[c.name][r.setting->name] = absl::InternalError(
              absl::StrCat("child under ", r.setting->name, " failed (",
                           code.ok() ? absl::StrCat("exit ", *code) : code.status().ToString(),
                           "):\n", ReadFile(r.dir + "/stderr.txt")));
        } else {
          (*results)[c.name][r.setting->name] = ParseMetrics(r.dir + "/" + c.name + ".pbtxt");
        }
      }
    }
    return results;
  }();
  return *all;
}

void ExpectSameMetrics(const proto::SplitMetrics& got, const proto::SplitMetrics& want,
                       const std::string& where) {
  SCOPED_TRACE(where);
  // Counts over the same test images: equal to the last bit, or the model changed.
  EXPECT_EQ(got.images(), want.images());
  EXPECT_EQ(got.top1_cls(), want.top1_cls());
  EXPECT_EQ(got.top1_loc(), want.top1_loc());
  EXPECT_EQ(got.gt_known_loc(), want.gt_known_loc());
  EXPECT_EQ(got.top1_loc_best(), want.top1_loc_best());
  EXPECT_EQ(got.gt_known_loc_best(), want.gt_known_loc_best());
  EXPECT_EQ(got.best_threshold(), want.best_threshold());
  EXPECT_EQ(got.max_box_acc(), want.max_box_acc());
  EXPECT_EQ(got.max_box_acc_v2(), want.max_box_acc_v2());
  ASSERT_EQ(got.max_box_acc_v2_per_iou_size(), want.max_box_acc_v2_per_iou_size());
  for (int i = 0; i < got.max_box_acc_v2_per_iou_size(); ++i) {
    EXPECT_EQ(got.max_box_acc_v2_per_iou(i), want.max_box_acc_v2_per_iou(i)) << "IoU index " << i;
  }
  // PxAP comes from integer pixel histograms of the 8-bit quantized maps.
  EXPECT_EQ(got.pxap(), want.pxap());
  EXPECT_NEAR(got.mean_entropy(), want.mean_entropy(), kEntropyTolerance);
}

class GoldenMetricsTest : public ::testing::TestWithParam<GoldenCase> {
 protected:
  proto::SplitMetrics Golden() {
    const std::string path = GoldenPath(GetParam().name);
    proto::SplitMetrics want;
    EXPECT_TRUE(fs::exists(path)) << path << " is missing: record it with --update_goldens";
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(ReadFile(path), &want)) << path;
    return want;
  }
};

TEST_P(GoldenMetricsTest, TestMetricsMatchTheRecordedRun) {
  const GoldenCase& c = GetParam();
  const std::string work_dir = ::testing::TempDir() + "/in_process";
  absl::StatusOr<proto::SplitMetrics> got = RunCase(c, work_dir);
  ASSERT_TRUE(got.ok()) << got.status();

  if (update_goldens) {
    std::string text;
    google::protobuf::TextFormat::PrintToString(*got, &text);
    const std::string path = GoldenPath(c.name);
    std::ofstream out(path);
    out << "# Recorded by bazel run //paper_tables:"
        << (selected_group == "core" ? "golden_metrics_test" : "method_goldens_test")
        << " -- --update_goldens\n"
        << "# from " << c.spec << " with the tiny float64 overrides in golden_metrics_test.cc.\n"
        << text;
    ASSERT_TRUE(out.good()) << path;
    std::cerr << "wrote " << path << "\n";
    return;
  }
  ExpectSameMetrics(*got, Golden(), "this process");
}

TEST_P(GoldenMetricsTest, SameNumbersUnderEveryKernelSetting) {
  if (update_goldens) GTEST_SKIP() << "recording";
  const GoldenCase& c = GetParam();
  const proto::SplitMetrics want = Golden();
  // At least the two farthest settings always run, whatever this CPU is.
  const auto found = ResultsUnderEverySetting().find(c.name);
  ASSERT_TRUE(found != ResultsUnderEverySetting().end()) << "no kernel setting ran";
  ASSERT_GE(found->second.size(), 2u);
  for (const auto& [setting, got] : found->second) {
    ASSERT_TRUE(got.ok()) << got.status();
    ExpectSameMetrics(*got, want, absl::StrCat("kernel setting ", setting));
  }
}

// Evaluated when the tests are registered, after main() has read --cases.
INSTANTIATE_TEST_SUITE_P(Recorded, GoldenMetricsTest, ::testing::ValuesIn(SelectedCases()),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           n.erase(std::remove(n.begin(), n.end(), '_'), n.end());
                           return n;
                         });

TEST(GoldenFilesTest, EveryGoldenHasACase) {
  // A golden without a case would never be checked.
  for (const auto& entry : fs::directory_iterator("paper_tables/goldens")) {
    const std::string stem = entry.path().stem().string();
    bool found = false;
    for (const GoldenCase& c : kCases) found |= stem == c.name;
    EXPECT_TRUE(found) << entry.path() << " has no case in golden_metrics_test.cc";
  }
}

// Child mode: runs every case and writes <dir>/<case>.pbtxt; exit status 0 when all ran.
int RunCasesInto(const std::string& dir) {
  for (const GoldenCase& c : SelectedCases()) {
    absl::StatusOr<proto::SplitMetrics> got = RunCase(c, dir);
    if (!got.ok()) {
      std::cerr << c.name << ": " << got.status() << "\n";
      return 1;
    }
    std::string text;
    google::protobuf::TextFormat::PrintToString(*got, &text);
    std::ofstream out(dir + "/" + c.name + ".pbtxt");
    out << text;
    if (!out.good()) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace wsol::tables

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--update_goldens") == 0) wsol::tables::update_goldens = true;
    if (std::strncmp(argv[i], "--cases=", 8) == 0) wsol::tables::selected_group = argv[i] + 8;
  }
  if (wsol::tables::SelectedCases().empty()) {
    std::cerr << "--cases=" << wsol::tables::selected_group << ": no such group (core, methods)\n";
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--run_cases=", 12) == 0) {
      return wsol::tables::RunCasesInto(argv[i] + 12);
    }
  }
  ::testing::InitGoogleTest(&argc, argv);
  // A SIGTERM (Bazel's timeout) reaches the children too.
  wsol::ForwardTerminationToChildren();
  ::testing::AddGlobalTestEnvironment(new wsol::tables::KernelSettingsEnvironment);
  return RUN_ALL_TESTS();
}
