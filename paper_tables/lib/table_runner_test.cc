#include "paper_tables/lib/table_runner.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "paper_tables/lib/table_grid.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/run_folder.h"
#include "wsol/util/file_lock.h"
#include "wsol/util/status_matchers.h"

namespace wsol::tables {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

proto::TableSpec TwoRowTable() {
  proto::TableSpec table;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
    name: "t"
    title: "Test table"
    columns: ["top1_cls", "max_box_acc_v2"]
    seeds: [1, 2]
    runs { label: "CAM" spec: "wsol/spec/testdata/good.pbtxt" set: "regularizer.none={}"
           group: "cam" variant: "baseline" }
    runs { label: "CAM + ER" spec: "wsol/spec/testdata/good.pbtxt" group: "cam" variant: "er" }
  )pb",
                                                            &table));
  return table;
}

// Results a trainer could have written for `e`: its fingerprint, every box metric, one
// epoch of history.
proto::RunResults CompleteResults(const proto::Experiment& e) {
  proto::RunResults r;
  r.set_spec_fingerprint(spec::ResultFingerprint(e));
  proto::SplitMetrics& t = *r.mutable_test();
  t.set_images(10);
  t.set_has_boxes(true);
  t.set_mean_entropy(0.5);
  t.set_top1_cls(50);
  t.set_top1_loc(30);
  t.set_gt_known_loc(40);
  t.set_top1_loc_best(31);
  t.set_gt_known_loc_best(41);
  t.set_max_box_acc(42);
  t.set_max_box_acc_v2(40);
  t.set_best_threshold(0.2);
  proto::EpochRecord& epoch = *r.add_history();
  epoch.set_epoch(1);
  epoch.set_train_top1(60);
  epoch.set_val_top1_cls(55);
  epoch.set_val_localization(40);
  epoch.set_val_entropy(0.4);
  return r;
}

// A fake trainer: scores depend on the seed and on whether ER is on, so the table's
// mean, std and difference can be checked by hand.
struct FakeTrainer {
  int calls = 0;
  absl::StatusOr<proto::RunResults> operator()(const proto::Experiment& e, const std::string& dir) {
    ++calls;
    proto::RunResults r = CompleteResults(e);
    const bool er_on = e.regularizer().has_entropy_kl_uniform();
    const double er = er_on ? 10.0 : 0.0;
    const double seed = static_cast<double>(e.runtime().seed());
    // ER gains 10 + seed points of top-1: per-seed differences 11 and 12 for seeds 1, 2.
    r.mutable_test()->set_top1_cls(50.0 + seed + (er_on ? 10.0 + seed : 0.0));
    r.mutable_test()->set_max_box_acc_v2(40.0 + er);
    if (absl::Status s = train::WriteResults(r, dir); !s.ok()) return s;
    return r;
  }
};

TEST(TableRunnerTest, PlansRowsTimesSeedsWithDistinctFingerprints) {
  TableOptions options;
  options.cache_dir = ::testing::TempDir() + "/plan";
  absl::StatusOr<std::vector<PlannedRun>> runs = PlanRuns(TwoRowTable(), options);
  ASSERT_THAT(runs, IsOk());
  ASSERT_EQ(runs->size(), 4u);
  std::set<std::string> fingerprints;
  for (const PlannedRun& r : *runs) fingerprints.insert(r.fingerprint);
  EXPECT_EQ(fingerprints.size(), 4u);
  EXPECT_TRUE((*runs)[0].experiment.regularizer().has_none());
  EXPECT_EQ((*runs)[1].experiment.runtime().seed(), 2u);
  // Device and thread count do not change results, so they do not change the cache key.
  options.device = "cpu";
  options.threads = 1;
  EXPECT_EQ(PlanRuns(TwoRowTable(), options)->at(0).fingerprint, (*runs)[0].fingerprint);
  // --seeds replaces the table's seeds: seed 2 is the same run as the table's seed 2.
  options.seeds = {2, 5, 6};
  absl::StatusOr<std::vector<PlannedRun>> reseeded = PlanRuns(TwoRowTable(), options);
  ASSERT_THAT(reseeded, IsOk());
  ASSERT_EQ(reseeded->size(), 6u);
  EXPECT_EQ((*reseeded)[0].fingerprint, (*runs)[1].fingerprint);
  EXPECT_EQ((*reseeded)[2].experiment.runtime().seed(), 6u);
  options.seeds.clear();
  // A bad --device is refused before any run starts, naming the field.
  options.device = "gpu";
  EXPECT_THAT(PlanRuns(TwoRowTable(), options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("run \"CAM\""), HasSubstr("runtime.device = \"gpu\""))));
}

TEST(TableRunnerTest, RendersMeanStdAndDifferenceThenReusesTheCache) {
  TableOptions options;
  options.cache_dir = ::testing::TempDir() + "/cache";
  FakeTrainer trainer;
  auto run = [&](const proto::Experiment& e, const std::string& d) { return trainer(e, d); };
  absl::StatusOr<std::string> out = RunTable(TwoRowTable(), options, run);
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(trainer.calls, 4);
  std::ifstream md(*out + "/t.md");
  std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  // CAM: top1 = 51, 52 -> 51.50 ± 0.71 (sample std of {51, 52} = 0.7071).
  EXPECT_THAT(text, HasSubstr("| CAM | 51.50 ± 0.71 | 40.00 ± 0.00 | 2 |"));
  // CAM + ER: 62, 64 -> 63.00 ± 1.41; its label names its lambda (good.pbtxt's 1e-4).
  EXPECT_THAT(text, HasSubstr("| CAM + ER (λ = 1e-4) | 63.00 ± 1.41 | 50.00 ± 0.00 | 2 |"));
  // Paired differences 11, 12: mean 11.5, sd 0.7071, standard error 0.5, t(0.975, 1 df)
  // = 12.7062 -> [5.15, 17.85], which excludes 0; MaxBoxAccV2 gains exactly 10 per seed.
  EXPECT_THAT(text, HasSubstr("| Δ (CAM + ER (λ = 1e-4) − CAM) | +11.50 [+5.15, +17.85]* | "
                              "+10.00 [+10.00, +10.00]* | 2 pairs |"));
  EXPECT_THAT(text, HasSubstr("* the interval excludes 0."));
  EXPECT_THAT(text, HasSubstr("| Method | Top-1 Cls | MaxBoxAccV2 | Seeds |"));
  EXPECT_TRUE(std::filesystem::exists(*out + "/t.csv"));
  EXPECT_TRUE(std::filesystem::exists(*out + "/t.json"));
  // Second time: everything cached, nothing trains.
  ASSERT_THAT(RunTable(TwoRowTable(), options, run), IsOk());
  EXPECT_EQ(trainer.calls, 4);
  // --rerun trains again.
  options.rerun = true;
  ASSERT_THAT(RunTable(TwoRowTable(), options, run), IsOk());
  EXPECT_EQ(trainer.calls, 8);
}

// A run that fails (e.g. a NaN stop) does not stop the others: the table is written with
// that row marked "failed" and the call reports the failure at the end.
TEST(TableRunnerTest, AFailedRunIsMarkedAndTheOthersStillRun) {
  TableOptions options;
  options.cache_dir = ::testing::TempDir() + "/failing";
  FakeTrainer trainer;
  auto run = [&](const proto::Experiment& e,
                 const std::string& d) -> absl::StatusOr<proto::RunResults> {
    if (!e.regularizer().has_entropy_kl_uniform()) {
      return absl::InternalError("non-finite loss at epoch 8 step 2");
    }
    return trainer(e, d);
  };
  absl::StatusOr<std::string> out = RunTable(TwoRowTable(), options, run);
  EXPECT_THAT(out, StatusIs(absl::StatusCode::kAborted, HasSubstr("run \"CAM\" (")));
  EXPECT_THAT(out.status().message(), HasSubstr("non-finite loss at epoch 8 step 2"));
  EXPECT_EQ(trainer.calls, 2);  // Both CAM + ER seeds trained after the CAM failures.
  std::ifstream md(options.cache_dir + "/tables/t/t.md");
  std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("| CAM | failed | failed | 0 |"));
  EXPECT_THAT(text, HasSubstr("| CAM + ER (λ = 1e-4) | 63.00 ± 1.41 | 50.00 ± 0.00 | 2 |"));
}

// Labels with commas and pipes ("JSD(p, u)", "KL(u||p)") stay one CSV field and one
// Markdown cell; repeated labels keep a JSON entry each.
TEST(TableRunnerTest, LabelsAreEscapedInEveryOutput) {
  proto::TableSpec table = TwoRowTable();
  table.mutable_runs(0)->set_label("JSD(p, u)");
  table.mutable_runs(1)->set_label("ER: KL(u||p)");
  table.clear_seeds();
  table.add_seeds(1);
  TableOptions options;
  options.cache_dir = ::testing::TempDir() + "/escaped";
  FakeTrainer trainer;
  auto run = [&](const proto::Experiment& e, const std::string& d) { return trainer(e, d); };
  absl::StatusOr<std::string> out = RunTable(table, options, run);
  ASSERT_THAT(out, IsOk());
  std::ifstream csv_file(*out + "/t.csv");
  std::string header, first, second;
  std::getline(csv_file, header);
  std::getline(csv_file, first);
  std::getline(csv_file, second);
  EXPECT_EQ(header,
            "Method,Top-1 Cls,Top-1 Cls std,Top-1 Cls per seed,Top-1 Cls 95% CI low,"
            "Top-1 Cls 95% CI high,MaxBoxAccV2,MaxBoxAccV2 std,MaxBoxAccV2 per seed,"
            "MaxBoxAccV2 95% CI low,MaxBoxAccV2 95% CI high,Reg. pull,Seeds");
  EXPECT_EQ(first, "\"JSD(p, u)\",51.0000,,51.0000,,,40.0000,,40.0000,,,,1");
  EXPECT_EQ(second, "ER: KL(u||p) (λ = 1e-4),62.0000,,62.0000,,,50.0000,,50.0000,,,,1");
  std::ifstream md(*out + "/t.md");
  std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("| ER: KL(u\\|\\|p) (λ = 1e-4) | 62.00 | 50.00 | 1 |"));
  // One seed: no spread or interval is shown, so their footnote is not either.
  EXPECT_THAT(text, Not(HasSubstr("standard deviation")));
  EXPECT_THAT(text, HasSubstr("One seed: cells are single runs"));
  std::ifstream json(*out + "/t.json");
  std::string json_text((std::istreambuf_iterator<char>(json)), std::istreambuf_iterator<char>());
  EXPECT_THAT(json_text,
              HasSubstr("{\"label\": \"JSD(p, u)\", \"setting\": \"\", \"status\": \"done\""));
  EXPECT_THAT(json_text, HasSubstr("{\"label\": \"ER: KL(u||p) (λ = 1e-4)\""));
}

TEST(TableRunnerTest, ShardsSplitRunsAndPendingRowsAreMarked) {
  TableOptions options;
  options.cache_dir = ::testing::TempDir() + "/shards";
  options.shard_count = 2;
  FakeTrainer trainer;
  auto run = [&](const proto::Experiment& e, const std::string& d) { return trainer(e, d); };
  options.shard_index = 0;
  ASSERT_THAT(RunTable(TwoRowTable(), options, run), IsOk());
  EXPECT_EQ(trainer.calls, 2);
  options.shard_index = 1;
  ASSERT_THAT(RunTable(TwoRowTable(), options, run), IsOk());
  EXPECT_EQ(trainer.calls, 4);
  options.shard_index = 2;
  EXPECT_THAT(RunTable(TwoRowTable(), options, run),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--shard=2/2")));

  std::vector<std::vector<SeedResults>> none(2);
  EXPECT_THAT(RenderTable(TwoRowTable(), none).markdown, HasSubstr("| CAM | pending | pending |"));
}

// Two table processes sharing a cache: a run another process is training (its run.lock
// held) is left to it, pending here, and trained by neither twice.
TEST(TableRunnerTest, ARunAnotherProcessTrainsIsLeftToIt) {
  TableOptions options;
  options.cache_dir = ::testing::TempDir() + "/shared";
  absl::StatusOr<std::vector<PlannedRun>> planned = PlanRuns(TwoRowTable(), options);
  ASSERT_THAT(planned, IsOk());
  const PlannedRun& busy = planned->front();
  std::filesystem::create_directories(busy.run_dir);
  absl::StatusOr<FileLock> other = FileLock::Acquire(train::RunFolder(busy.run_dir).lock());
  ASSERT_THAT(other, IsOk());

  FakeTrainer trainer;
  std::vector<std::string> trained;
  auto run = [&](const proto::Experiment& e, const std::string& d) {
    trained.push_back(d);
    return trainer(e, d);
  };
  ASSERT_THAT(RunTable(TwoRowTable(), options, run), IsOk());
  EXPECT_EQ(trainer.calls, 3);
  EXPECT_THAT(trained, ::testing::Not(::testing::Contains(busy.run_dir)));
  EXPECT_FALSE(std::filesystem::exists(busy.run_dir + "/results.json"));
}

// The race: another process takes the run after the check, so the trainer is refused. The
// lock, not the error's text, tells the table the run is busy rather than failed.
TEST(TableRunnerTest, ARunTakenAtTheLastMomentIsLeftPendingNotFailed) {
  TableOptions options;
  options.cache_dir = ::testing::TempDir() + "/raced";
  absl::StatusOr<std::vector<PlannedRun>> planned = PlanRuns(TwoRowTable(), options);
  ASSERT_THAT(planned, IsOk());
  const std::string raced = planned->front().run_dir;
  std::optional<FileLock> other;
  FakeTrainer trainer;
  auto run = [&](const proto::Experiment& e,
                 const std::string& d) -> absl::StatusOr<proto::RunResults> {
    if (d == raced) {
      std::filesystem::create_directories(d);
      other.emplace(FileLock::Acquire(train::RunFolder(d).lock()).value());
      return absl::UnavailableError("refused for any reason");
    }
    return trainer(e, d);
  };
  EXPECT_THAT(RunTable(TwoRowTable(), options, run), IsOk());
  EXPECT_EQ(trainer.calls, 3);
  EXPECT_FALSE(std::filesystem::exists(raced + "/results.json"));
}

TEST(TableRunnerTest, BadRowSpecNamesTheRow) {
  proto::TableSpec table = TwoRowTable();
  table.mutable_runs(1)->add_set("optimizer.lr=-1");
  TableOptions options;
  EXPECT_THAT(PlanRuns(table, options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("run \"CAM + ER\""), HasSubstr("optimizer.lr"))));
}

// Started outside the workspace, a table does not claim that "table1" is unknown: it says
// where it looked for the table specs and how to run it.
TEST(TableRunnerTest, OutsideTheWorkspaceTheMessageSaysWhereItLooked) {
  TableOptions options;
  options.workspace_root = ::testing::TempDir() + "/not_a_workspace";
  std::filesystem::create_directories(options.workspace_root);
  EXPECT_THAT(
      LoadTableSpecFor("table1", options),
      StatusIs(absl::StatusCode::kNotFound, AllOf(HasSubstr("no table specs at "),
                                                  HasSubstr("not_a_workspace/paper_tables/specs"),
                                                  HasSubstr("bazel run //paper_tables:<table>"))));
}

// Reads a whole file.
std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Only a spec's own, sane results are ever shown: a results.json copied from another run,
// an empty one, or one holding impossible numbers is treated as not cached (the run trains
// again, with a notice) and never becomes a row.
TEST(TableRunnerTest, ResultsThatAreNotThisSpecsAreNeverShown) {
  TableOptions options;
  options.cache_dir = ::testing::TempDir() + "/untrusted";
  options.seeds = {1};
  absl::StatusOr<std::vector<PlannedRun>> runs = PlanRuns(TwoRowTable(), options);
  ASSERT_THAT(runs, IsOk());
  const PlannedRun& cam = (*runs)[0];
  const PlannedRun& er = (*runs)[1];
  // CAM's folder holds a copy of CAM + ER's results (another fingerprint), with numbers
  // that would show as a row of their own.
  proto::RunResults copied = CompleteResults(er.experiment);
  copied.mutable_test()->set_top1_cls(99.5);
  ASSERT_THAT(train::WriteResults(copied, cam.run_dir), IsOk());
  // CAM + ER's folder holds its own fingerprint but a PxAP of -12.
  proto::RunResults impossible = CompleteResults(er.experiment);
  impossible.mutable_test()->set_has_masks(true);
  impossible.mutable_test()->set_pxap(-12);
  ASSERT_THAT(train::WriteResults(impossible, er.run_dir), IsOk());
  EXPECT_THAT(train::ReadVerifiedResults(cam.run_dir, cam.fingerprint),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("these are the results of another spec")));
  EXPECT_THAT(train::ReadVerifiedResults(er.run_dir, er.fingerprint),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("test.pxap = -12: expected a percentage in [0, 100]")));
  // A dry run does not count them as cached.
  {
    TableOptions dry = options;
    dry.dry_run = true;
    ::testing::internal::CaptureStdout();
    ASSERT_THAT(RunTable(TwoRowTable(), *runs, dry, FakeTrainer()), IsOk());
    const std::string listing = ::testing::internal::GetCapturedStdout();
    EXPECT_THAT(listing, Not(HasSubstr("(cached)")));
    EXPECT_THAT(listing, HasSubstr("2 to train, 0 cached, about "));
  }
  // Without training they are never rows: both stay pending.
  auto nothing = [](const proto::Experiment&,
                    const std::string&) -> absl::StatusOr<proto::RunResults> {
    return absl::UnavailableError("not now");
  };
  (void)RunTable(TwoRowTable(), *runs, options, nothing);
  const std::string before = ReadText(options.cache_dir + "/tables/t/t.md");
  EXPECT_THAT(before, Not(HasSubstr("99.50")));
  EXPECT_THAT(before, Not(HasSubstr("-12")));
  // With training they are replaced by the runs' own results.
  FakeTrainer trainer;
  ASSERT_THAT(RunTable(TwoRowTable(), *runs, options, std::ref(trainer)), IsOk());
  EXPECT_EQ(trainer.calls, 2);
  const std::string after = ReadText(options.cache_dir + "/tables/t/t.md");
  EXPECT_THAT(after, HasSubstr("| CAM | 51.00 | 40.00 | 1 |"));
  EXPECT_THAT(after, Not(HasSubstr("99.50")));
  // An empty object is no result either.
  std::ofstream(cam.run_dir + "/results.json") << "{}";
  EXPECT_THAT(train::ReadVerifiedResults(cam.run_dir, cam.fingerprint),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("test is missing")));
}

TEST(TableRunnerTest, TheDryRunEndsWithWhatItWouldCost) {
  TableOptions options;
  options.cache_dir = ::testing::TempDir() + "/dry_cost";
  options.dry_run = true;
  FakeTrainer trainer;
  ::testing::internal::CaptureStdout();
  ASSERT_THAT(RunTable(TwoRowTable(), options, std::ref(trainer)), IsOk());
  const std::string listing = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(trainer.calls, 0);
  EXPECT_THAT(listing, ::testing::ContainsRegex(
                           "\n4 to train, 0 cached, about [0-9.]+ CPU-minutes and [0-9]+ MB\n$"));
}

TEST(TableRunnerTest, ThePaperProfileNeedsItsDataAndWeights) {
  TableOptions options;
  options.profile = "paper";
  options.cache_dir = ::testing::TempDir() + "/paper_prereq";
  options.data_root = ::testing::TempDir() + "/empty_data_root";
  std::filesystem::create_directories(options.data_root);
  proto::TableSpec table = TwoRowTable();
  table.add_set("dataset.name=CUB");
  absl::StatusOr<std::vector<PlannedRun>> runs = PlanRuns(table, options);
  ASSERT_THAT(runs, IsOk());
  std::vector<std::string> problems = PaperPrerequisites(*runs, options);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_THAT(problems[0],
              AllOf(HasSubstr("no prepared data set for CUB ("), HasSubstr("empty_data_root/CUB)"),
                    HasSubstr("//datasets:prepare")));
  EXPECT_THAT(problems[1],
              AllOf(HasSubstr("no pretrained weights for resnet50"),
                    HasSubstr("--pretrained=ARCH=PATH"), HasSubstr("--allow_random_init")));
  FakeTrainer trainer;
  EXPECT_THAT(RunTable(table, *runs, options, std::ref(trainer)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("the paper profile cannot train these runs yet")));
  EXPECT_EQ(trainer.calls, 0);
  // --pretrained gives each backbone its weights; a missing file is named.
  options.pretrained["resnet50"] = ::testing::TempDir() + "/no_such_weights.pt";
  options.allow_random_init = false;
  runs = PlanRuns(table, options);
  ASSERT_THAT(runs, IsOk());
  EXPECT_EQ((*runs)[0].experiment.backbone().pretrained_path(),
            ::testing::TempDir() + "/no_such_weights.pt");
  problems = PaperPrerequisites(*runs, options);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_THAT(problems[1], HasSubstr("pretrained weights not found for resnet50 ("));
  // A missing data root is the first thing named.
  options.data_root = ::testing::TempDir() + "/no_such_root";
  EXPECT_THAT(PaperPrerequisites(*runs, options)[0], HasSubstr("no_such_root: no such folder"));
}

// Rows whose regularizer does not bind (its gradient under 5% of the cross-entropy's in
// the last epoch) are marked, so no reader takes a null control for a test.
TEST(TableRunnerTest, RowsWhoseRegularizerDoesNotBindAreMarked) {
  proto::TableSpec table = TwoRowTable();
  table.clear_seeds();
  table.add_seeds(1);
  std::vector<std::vector<SeedResults>> rows(2);
  absl::StatusOr<std::vector<PlannedRun>> runs = PlanRuns(table, TableOptions());
  ASSERT_THAT(runs, IsOk());
  for (int r = 0; r < 2; ++r) {
    proto::RunResults results = CompleteResults((*runs)[r].experiment);
    // CE only: no pull; ER: 0.004 of the cross-entropy's gradient.
    results.mutable_history(0)->set_regularizer_gradient_ratio(r == 0 ? 0.0 : 0.004);
    rows[r].push_back({1, results});
  }
  RenderedTable rendered = RenderTable(table, rows);
  EXPECT_THAT(rendered.markdown,
              HasSubstr("| Method | Top-1 Cls | MaxBoxAccV2 | Reg. pull | Seeds |"));
  EXPECT_THAT(rendered.markdown, HasSubstr("| CAM | 50.00 | 40.00 | - | 1 |"));
  EXPECT_THAT(rendered.markdown, HasSubstr("| CAM + ER | 50.00 | 40.00 | 0.004 † | 1 |"));
  EXPECT_THAT(rendered.markdown, HasSubstr("† below 0.05: the regularizer does not bind"));
  // A pull of 0.3 binds: no mark, no footnote.
  rows[1][0].results.mutable_history(0)->set_regularizer_gradient_ratio(0.3);
  rendered = RenderTable(table, rows);
  EXPECT_THAT(rendered.markdown, HasSubstr("| CAM + ER | 50.00 | 40.00 | 0.3 | 1 |"));
  EXPECT_THAT(rendered.markdown, Not(HasSubstr("†")));
  EXPECT_THAT(rendered.csv, HasSubstr(",0.3,1\n"));
}

proto::TableSpec ParseTable(const std::string& text) {
  proto::TableSpec table;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &table)) << text;
  return table;
}

// A study over lambda: a baseline and ER at 1e-3 and 1e-1. On val, 1e-1 is the better
// (val MaxBoxAccV2 = 30 + 100 lambda: 40 against 30.1); on test, 1e-3 is (+5 against +2
// per seed). The model selection must pick 1e-1, by val, and report its test Δ: +2.
constexpr char kStudy[] = R"pb(
  name: "study"
  columns: ["val_localization", "max_box_acc_v2"]
  selection { val_metric: "localization" }
  seeds: [1, 2]
  runs { label: "CAM" setting: "λ = 0" spec: "good.pbtxt" set: "regularizer.none={}"
         group: "cam" variant: "baseline" }
  runs { label: "CAM + ER" setting: "λ = 1e-3" spec: "good.pbtxt"
         set: "regularizer.entropy_kl_uniform={ lambda: 1e-3 }" group: "cam" variant: "er" }
  runs { label: "CAM + ER" setting: "λ = 1e-1" spec: "good.pbtxt"
         set: "regularizer.entropy_kl_uniform={ lambda: 1e-1 }" group: "cam" variant: "er" }
)pb";

struct StudyTrainer {
  int calls = 0;
  absl::StatusOr<proto::RunResults> operator()(const proto::Experiment& e, const std::string& dir) {
    ++calls;
    proto::RunResults r = CompleteResults(e);
    const double lambda = e.regularizer().has_entropy_kl_uniform()
                              ? e.regularizer().entropy_kl_uniform().lambda()
                              : 0.0;
    const double seed = static_cast<double>(e.runtime().seed());
    r.mutable_history(0)->set_val_localization(30.0 + 100.0 * lambda);
    const double gain = lambda == 0 ? 0.0 : lambda < 0.01 ? 5.0 : 2.0;
    r.mutable_test()->set_max_box_acc_v2(40.0 + seed + gain);
    if (absl::Status s = train::WriteResults(r, dir); !s.ok()) return s;
    return r;
  }
};

// A workspace with good.pbtxt and paper_tables/specs/{study,t}.pbtxt.
std::string StudyWorkspace(const std::string& name) {
  const std::string root = ::testing::TempDir() + "/" + name;
  std::filesystem::create_directories(root + "/paper_tables/specs");
  std::filesystem::copy_file("wsol/spec/testdata/good.pbtxt", root + "/good.pbtxt",
                             std::filesystem::copy_options::overwrite_existing);
  std::ofstream(root + "/paper_tables/specs/study.pbtxt") << kStudy;
  return root;
}

TEST(SelectionTest, ChoosesTheErRowWithTheBestMeanValScoreNotTheBestTestScore) {
  proto::TableSpec study = ParseTable(kStudy);
  std::vector<std::vector<SeedResults>> rows(3);
  StudyTrainer trainer;
  TableOptions options;
  options.workspace_root = StudyWorkspace("choose");
  absl::StatusOr<std::vector<PlannedRun>> runs = PlanRuns(study, options);
  ASSERT_THAT(runs, IsOk());
  const std::string dir = ::testing::TempDir() + "/choose";
  for (const PlannedRun& p : *runs) {
    absl::StatusOr<proto::RunResults> r = trainer(p.experiment, dir);
    ASSERT_THAT(r, IsOk());
    rows[p.row].push_back({p.seed, *r});
  }
  std::vector<ChosenRow> chosen = ChooseOnVal(study, rows, "localization", 2);
  ASSERT_EQ(chosen.size(), 1u);
  EXPECT_EQ(chosen[0].group, "cam");
  EXPECT_EQ(chosen[0].baseline_row, 0);
  EXPECT_EQ(chosen[0].row, 2);
  EXPECT_NEAR(chosen[0].val_mean, 40.0, 1e-5);  // lambda is a float: 0.1f.
  EXPECT_EQ(chosen[0].candidates, 2);
  EXPECT_EQ(chosen[0].complete, 2);
  // One seed of 1e-1 missing: still chosen on the seed it has, but not complete.
  rows[2].pop_back();
  chosen = ChooseOnVal(study, rows, "localization", 2);
  EXPECT_EQ(chosen[0].row, 2);
  EXPECT_EQ(chosen[0].complete, 1);
  // The score of the evaluated epoch counts, not the last one's.
  for (SeedResults& s : rows[1]) {
    *s.results.add_history() = s.results.history(0);
    s.results.mutable_history(1)->set_epoch(2);
    s.results.set_evaluated_epoch(1);
    s.results.mutable_history(0)->set_val_localization(99);
  }
  EXPECT_EQ(ChooseOnVal(study, rows, "localization", 2)[0].row, 1);
  // No val score at all: nothing chosen.
  for (auto& row : rows) {
    for (SeedResults& s : row) {
      for (proto::EpochRecord& e : *s.results.mutable_history()) e.clear_val_localization();
    }
  }
  EXPECT_EQ(ChooseOnVal(study, rows, "localization", 2)[0].row, -1);

  // The rendered table: the chosen row again at the end, with its test Δ (+2 per seed).
  rows.assign(3, {});
  for (const PlannedRun& p : *runs) rows[p.row].push_back({p.seed, *trainer(p.experiment, dir)});
  const std::string md = RenderTable(study, rows).markdown;
  EXPECT_THAT(md, HasSubstr("| Method | Setting | Val Loc | MaxBoxAccV2 | Seeds |"));
  EXPECT_THAT(md, HasSubstr("| CAM + ER, chosen on val | λ = 1e-1 | 40.00 ± 0.00 | "
                            "43.50 ± 0.71 | 2 |"));
  EXPECT_THAT(md, HasSubstr("| Δ (CAM + ER, chosen on val − CAM) |  | +10.00 [+10.00, +10.00]* | "
                            "+2.00 [+2.00, +2.00]* | 2 pairs |"));
  EXPECT_THAT(md, HasSubstr("Chosen on val: in each group, the ER row with the highest mean "
                            "Val Loc over its seeds"));
  EXPECT_THAT(md, HasSubstr("CAM + ER: λ = 1e-1 (val 40.00)"));
}

TEST(SelectionTest, ASelectionNeedsAValMetricAndAGroupToChooseIn) {
  const std::string root = ::testing::TempDir() + "/bad_selection";
  std::filesystem::create_directories(root);
  std::ofstream(root + "/metric.pbtxt")
      << absl::StrReplaceAll(kStudy, {{"selection { val_metric: \"localization\" }",
                                       "selection { val_metric: \"train_entropy\" }"}});
  EXPECT_THAT(LoadTableSpec(root + "/metric.pbtxt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("metric.pbtxt: selection.val_metric \"train_entropy\""),
                             HasSubstr("a score recorded on val: localization"))));
  std::ofstream(root + "/groups.pbtxt")
      << absl::StrReplaceAll(kStudy, {{"variant: \"baseline\"", "variant: \"er\""}});
  EXPECT_THAT(LoadTableSpec(root + "/groups.pbtxt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("selection needs a group with a \"baseline\" row")));
}

// Table 1 names the study: before the study's runs are cached it says which command makes
// them; after, it shows the study's baseline and chosen ER row as a pair with their Δ.
TEST(SelectionTest, ATableShowsAnotherTablesChosenRowsOnceTheyAreCached) {
  TableOptions options;
  options.workspace_root = StudyWorkspace("selection_from");
  options.cache_dir = ::testing::TempDir() + "/selection_from_cache";
  proto::TableSpec table = TwoRowTable();
  for (proto::TableRun& run : *table.mutable_runs()) run.set_spec("good.pbtxt");
  table.set_selection_from("study");
  StudyTrainer trainer;
  auto run = [&](const proto::Experiment& e, const std::string& d) { return trainer(e, d); };
  absl::StatusOr<std::string> out = RunTable(table, options, run);
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(trainer.calls, 4);  // The table's own runs only.
  std::string md = ReadText(*out + "/t.md");
  EXPECT_THAT(md, HasSubstr("ER at lambda chosen on val (the paper's model selection) for CAM: "
                            "not in the cache yet; `bazel run //paper_tables:study`"));
  EXPECT_THAT(md, Not(HasSubstr("chosen on val, study")));

  // The study's baseline is the table's CAM (the same spec and seeds): only its 4 ER runs
  // train, and the table then trains nothing.
  ASSERT_THAT(RunTable(ParseTable(kStudy), options, run), IsOk());
  EXPECT_EQ(trainer.calls, 8);
  out = RunTable(table, options, run);
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(trainer.calls, 8);
  md = ReadText(*out + "/t.md");
  EXPECT_THAT(md, Not(HasSubstr("not in the cache yet")));
  EXPECT_THAT(md, HasSubstr("| CAM (study's seeds) | 50.00 ± 0.00 | 41.50 ± 0.71 | 2 |"));
  EXPECT_THAT(md, HasSubstr("| CAM + ER (λ = 1e-1 chosen on val, study) | 50.00 ± 0.00 | "
                            "43.50 ± 0.71 | 2 |"));
  EXPECT_THAT(md, HasSubstr("| Δ (CAM + ER (λ = 1e-1 chosen on val, study) − CAM (study's "
                            "seeds)) | +0.00 [+0.00, +0.00] | +2.00 [+2.00, +2.00]* | 2 pairs |"));
  EXPECT_THAT(ReadText(*out + "/t.json"), HasSubstr("\"label\": \"CAM + ER (λ = 1e-1 chosen"));
}

// Published numbers sit beside ours, with the difference and whether they lie outside our
// seeds' interval; a bad reference file is refused with its file and value named.
TEST(PublishedTest, APublishedNumberIsShownBesideOursWithTheDifference) {
  const std::string root = ::testing::TempDir() + "/published";
  std::filesystem::create_directories(root);
  std::ofstream(root + "/refs.pbtxt") << R"pb(
    value { group: "cam" variant: "baseline" column: "max_box_acc_v2" value: 41.5
            source: "A. Author et al., Venue 2020, Table 5" }
    value { group: "other" variant: "baseline" column: "pxap" value: 50 source: "elsewhere" }
  )pb";
  proto::TableSpec table = TwoRowTable();
  table.set_references("refs.pbtxt");
  ASSERT_THAT(AttachReferences(root, &table), IsOk());
  ASSERT_EQ(table.runs(0).published_size(), 1);
  EXPECT_EQ(table.runs(1).published_size(), 0);  // The ER row has no published number.
  TableOptions options;
  options.workspace_root = StudyWorkspace("published_ws");
  for (proto::TableRun& run : *table.mutable_runs()) run.set_spec("good.pbtxt");
  absl::StatusOr<std::vector<PlannedRun>> runs = PlanRuns(table, options);
  ASSERT_THAT(runs, IsOk());
  std::vector<std::vector<SeedResults>> rows(2);
  for (const PlannedRun& p : *runs) {
    proto::RunResults r = CompleteResults(p.experiment);
    // Seeds 1 and 2: 40 and 41 -> mean 40.5, sd 0.7071, 95% half-width 12.706 * 0.5 = 6.35.
    r.mutable_test()->set_max_box_acc_v2(39.0 + p.seed);
    rows[p.row].push_back({p.seed, r});
  }
  std::string md = RenderTable(table, rows).markdown;
  EXPECT_THAT(md, HasSubstr("| Method | Top-1 Cls | MaxBoxAccV2 | Published | Seeds |"));
  EXPECT_THAT(md, HasSubstr("| CAM | 50.00 ± 0.00 | 40.50 ± 0.71 | MaxBoxAccV2 41.50 (ours -1.00, "
                            "within our 95% interval) | 2 |"));
  EXPECT_THAT(md, HasSubstr("Published: the number printed for this cell by A. Author et al., "
                            "Venue 2020, Table 5; ours minus it"));
  // Equal seeds have no spread: then 1 point off is outside.
  for (SeedResults& s : rows[0]) s.results.mutable_test()->set_max_box_acc_v2(40.5);
  md = RenderTable(table, rows).markdown;
  EXPECT_THAT(md, HasSubstr("MaxBoxAccV2 41.50 (ours -1.00, outside our 95% interval)"));
  EXPECT_THAT(RenderTable(table, rows).csv,
              HasSubstr(",\"MaxBoxAccV2 41.50 (ours -1.00, outside our 95% interval)\","));
  rows[0].pop_back();
  EXPECT_THAT(RenderTable(table, rows).markdown, HasSubstr("(ours -1.00, one seed)"));

  std::ofstream(root + "/bad.pbtxt") << R"pb(
    value { group: "cam" variant: "baseline" column: "max_box_acc_v2" value: 41.5 }
  )pb";
  table.set_references("bad.pbtxt");
  EXPECT_THAT(AttachReferences(root, &table),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad.pbtxt: value 1 (group \"cam\")"),
                             HasSubstr("needs its source"))));
  std::ofstream(root + "/column.pbtxt") << R"pb(
    value { group: "cam" variant: "baseline" column: "boxacc" value: 41.5 source: "s" }
  )pb";
  table.set_references("column.pbtxt");
  EXPECT_THAT(AttachReferences(root, &table),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("column \"boxacc\" is not a metric column")));
  table.set_references("missing.pbtxt");
  EXPECT_THAT(AttachReferences(root, &table), StatusIs(absl::StatusCode::kNotFound));
  std::filesystem::create_directories(root + "/a_folder.pbtxt");
  table.set_references("a_folder.pbtxt");
  EXPECT_THAT(AttachReferences(root, &table),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("a_folder.pbtxt is not a regular file"),
                             HasSubstr("PublishedValues"))));
}

TEST(TableGridTest, CellsAreTheProductInAxisOrderWithPatternsFilled) {
  proto::TableSpec table = ParseTable(R"pb(
    runs { label: "written out" spec: "a.pbtxt" }
    grid {
      axis { name: "data" value { name: "cub" label: "CUB" } value { name: "oi" } }
      axis {
        name: "reg"
        value { name: "none" label: "" var { key: "sfx" value: "" } }
        value { name: "er" label: " + ER" var { key: "sfx" value: "_er" }
                fragment: "er.pbtxt" set: "regularizer.entropy_kl_uniform={ lambda: 1e-3 }" }
      }
      fragment: "data/{data}.pbtxt"
      name: "cam_{data}{sfx}"
      label: "CAM ({data.label}){reg.label}"
      group: "{data}"
    }
  )pb");
  ASSERT_THAT(ExpandGrids("t.pbtxt", &table), IsOk());
  EXPECT_EQ(table.grid_size(), 0);
  ASSERT_EQ(table.runs_size(), 5);
  EXPECT_EQ(table.runs(0).label(), "written out");
  const char* labels[] = {"CAM (CUB)", "CAM (CUB) + ER", "CAM (oi)", "CAM (oi) + ER"};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(table.runs(i + 1).label(), labels[i]);
  const proto::TableRun& er = table.runs(2);
  EXPECT_THAT(std::vector<std::string>(er.fragment().begin(), er.fragment().end()),
              ::testing::ElementsAre("data/cub.pbtxt", "er.pbtxt"));
  EXPECT_THAT(std::vector<std::string>(er.set().begin(), er.set().end()),
              ::testing::ElementsAre("regularizer.entropy_kl_uniform={ lambda: 1e-3 }",
                                     "name=\"cam_cub_er\""));
  EXPECT_EQ(er.group(), "cub");
  EXPECT_FALSE(er.has_variant());
  EXPECT_FALSE(er.has_setting());
}

TEST(TableGridTest, AnUnknownKeyOrAnEmptyAxisIsNamed) {
  proto::TableSpec unknown = ParseTable(R"pb(
    grid { axis { name: "data" value { name: "cub" } } fragment: "{dataset}.pbtxt" }
  )pb");
  EXPECT_THAT(ExpandGrids("t.pbtxt", &unknown),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("t.pbtxt: grid 1"), HasSubstr("no key {dataset}"),
                             HasSubstr("keys: data, data.label"))));
  proto::TableSpec empty = ParseTable(R"pb(grid { axis { name: "data" } })pb");
  EXPECT_THAT(ExpandGrids("t.pbtxt", &empty),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least one value")));
}

}  // namespace
}  // namespace wsol::tables
