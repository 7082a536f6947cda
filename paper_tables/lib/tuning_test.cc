#include "paper_tables/lib/tuning.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/run_folder.h"
#include "wsol/util/status_matchers.h"

namespace wsol::tables {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

constexpr char kSearchSpace[] = "paper_tables/tuning/search_space.pbtxt";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

double Value(const Trial& trial, const std::string& name) {
  for (const auto& [n, v] : trial.values) {
    double value = 0;
    if (n == name && absl::SimpleAtod(v, &value)) return value;
  }
  return std::nan("");
}

// Table 1's rows as the table plans them (one seed), for DrawTrials.
std::vector<proto::Experiment> PlannedExperiments(const proto::TableSpec& table,
                                                  const std::vector<int>& rows) {
  TableOptions options;
  options.seeds = {0};
  options.cache_dir = ::testing::TempDir() + "/plan";
  absl::StatusOr<std::vector<PlannedRun>> runs = PlanRuns(table, options);
  EXPECT_THAT(runs, IsOk());
  std::vector<proto::Experiment> out;
  for (int row : rows) out.push_back(runs->at(row).experiment);
  return out;
}

proto::TableSpec Table1() {
  TableOptions options;
  absl::StatusOr<proto::TableSpec> table = LoadTableSpecFor("table1", options);
  EXPECT_THAT(table, IsOk());
  return *table;
}

TEST(SearchSpaceTest, TheShippedSpaceLoadsAndSaysWhereEachRangeComesFrom) {
  absl::StatusOr<proto::SearchSpace> space = LoadSearchSpace(kSearchSpace);
  ASSERT_THAT(space, IsOk());
  EXPECT_EQ(space->trials(), 30);  // wsolevaluation's count per cell.
  EXPECT_EQ(space->parameter(0).field(), "optimizer.lr");
  EXPECT_THAT(space->parameter(0).source(), HasSubstr("wsolevaluation"));
}

TEST(SearchSpaceTest, BadParametersAreRefusedByName) {
  auto load = [](const std::string& body) {
    return LoadSearchSpace(WriteTemp("space.pbtxt", absl::StrCat("trials: 3\n", body)));
  };
  const std::string ok = R"(parameter { field: "optimizer.lr" low: 1e-3 high: 1e-1
                            log_scale: true source: "s" })";
  EXPECT_THAT(load(ok), IsOk());
  EXPECT_THAT(load(R"(parameter { field: "optimizer.rate" low: 1 high: 2 source: "s" })"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("space.pbtxt: parameter 1 (\"optimizer.rate\")"),
                             HasSubstr("not a number field"))));
  EXPECT_THAT(load(R"(parameter { field: "optimizer.lr" low: 0 high: 1 log_scale: true
                      source: "s" })"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("low > 0 on a log scale")));
  EXPECT_THAT(load(R"(parameter { field: "optimizer.lr" low: 2 high: 1 source: "s" })"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected low <= high")));
  EXPECT_THAT(load(R"(parameter { field: "optimizer.lr" low: 1 high: 2 })"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs a source")));
  EXPECT_THAT(load(R"(parameter { field: "optimizer.lr" low: 1 high: 2 source: "s"
                      when: "method.nothing" })"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not a message")));
  EXPECT_THAT(LoadSearchSpace(WriteTemp("space0.pbtxt", "trials: 0\n" + ok)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected at least 1")));
}

TEST(DrawTrialsTest, EachCellDrawsWhatAppliesToItWithinRangeAndReproducibly) {
  absl::StatusOr<proto::SearchSpace> space = LoadSearchSpace(kSearchSpace);
  ASSERT_THAT(space, IsOk());
  space->set_trials(20);
  const proto::TableSpec table = Table1();
  absl::StatusOr<std::vector<int>> rows = SelectCells(table, {"cam", "adl:er"});
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 3u);  // CAM, CAM + ER, ADL + ER.
  const std::vector<Trial> trials =
      DrawTrials(*space, table, *rows, PlannedExperiments(table, *rows), 7);
  ASSERT_EQ(trials.size(), 60u);
  double lowest_lr = 1, highest_lr = 0;
  for (const Trial& t : trials) {
    const std::string& group = table.runs(t.row).group();
    const bool er = table.runs(t.row).variant() == "er";
    const double lr = Value(t, "lr");
    ASSERT_TRUE(lr >= 1e-5 && lr <= 1) << lr;
    lowest_lr = std::min(lowest_lr, lr);
    highest_lr = std::max(highest_lr, lr);
    // lambda only for ER rows; ADL's own parameters only for ADL.
    EXPECT_EQ(std::isnan(Value(t, "lambda")), !er);
    EXPECT_EQ(std::isnan(Value(t, "adl_drop_rate")), group != "adl");
    EXPECT_TRUE(std::isnan(Value(t, "has_drop_rate")));
    EXPECT_EQ(t.set.size(), t.values.size());
    EXPECT_EQ(t.set[0], absl::StrCat("optimizer.lr=", t.values[0].second));
  }
  // Log-uniform over five decades: 20 draws of a cell span well over two.
  EXPECT_LT(lowest_lr, 1e-3);
  EXPECT_GT(highest_lr, 1e-2);
  // The same seed draws the same; another seed draws otherwise; and a cell tuned alone
  // draws what it draws among others (the draws depend on the cell, not its position).
  const std::vector<Trial> again =
      DrawTrials(*space, table, *rows, PlannedExperiments(table, *rows), 7);
  EXPECT_EQ(again[5].set, trials[5].set);
  const std::vector<Trial> other =
      DrawTrials(*space, table, *rows, PlannedExperiments(table, *rows), 8);
  EXPECT_NE(other[5].set, trials[5].set);
  const std::vector<int> adl_er = {rows->at(2)};
  const std::vector<Trial> alone =
      DrawTrials(*space, table, adl_er, PlannedExperiments(table, adl_er), 7);
  EXPECT_EQ(alone[3].set, trials[43].set);
}

TEST(DrawTrialsTest, AnUnknownCellListsTheTablesCells) {
  EXPECT_THAT(SelectCells(Table1(), {"camm"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("--cells: \"camm\" names no row of table table1"),
                             HasSubstr("cam:baseline, cam:er"))));
}

// A fake trainer whose val localization peaks at lr = 1e-2 and that diverges above 0.1,
// as a real run would: the winner of each cell can be worked out from its trials' lr.
struct FakeTrainer {
  int calls = 0;
  absl::StatusOr<proto::RunResults> operator()(const proto::Experiment& e, const std::string& dir) {
    ++calls;
    const double lr = e.optimizer().lr();
    if (lr > 0.1) return absl::InternalError("training diverged in epoch 1");
    proto::RunResults r;
    r.set_spec_fingerprint(spec::ResultFingerprint(e));
    r.mutable_test()->set_images(10);
    r.mutable_test()->set_top1_cls(99);  // Never read by the choice.
    r.mutable_test()->set_mean_entropy(0.5);
    proto::EpochRecord& epoch = *r.add_history();
    epoch.set_epoch(1);
    epoch.set_train_loss(0.1);
    epoch.set_train_top1(90);
    epoch.set_val_localization(60 - 10 * std::abs(std::log10(lr) + 2));
    epoch.set_val_top1_cls(70);
    epoch.set_val_entropy(0.3);
    if (absl::Status s = train::WriteResults(r, dir); !s.ok()) return s;
    return r;
  }
};

TEST(TuneTest, TwoCellsThreeTrialsEachChooseTheBestValScoreAndTheTableTakesIt) {
  TableOptions options;
  options.cache_dir = ::testing::TempDir() + "/tune_cache";
  FakeTrainer trainer;
  auto run = [&](const proto::Experiment& e, const std::string& d) { return trainer(e, d); };
  TuneOptions tune;
  tune.search_space = kSearchSpace;
  tune.trials = 3;
  tune.search_seed = 3;
  tune.cells = {"cam:baseline", "adl:er"};
  absl::StatusOr<std::string> out = Tune("table1", tune, options, run);
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(*out, options.cache_dir + "/tune/embedded/table1");

  // The trials, as drawn, and their val scores as the fake trainer gives them.
  const proto::TableSpec table = Table1();
  const std::vector<int> rows = *SelectCells(table, tune.cells);
  absl::StatusOr<proto::SearchSpace> space = LoadSearchSpace(kSearchSpace);
  space->set_trials(3);
  const std::vector<Trial> trials =
      DrawTrials(*space, table, rows, PlannedExperiments(table, rows), 3);
  ASSERT_EQ(trials.size(), 6u);
  struct Best {
    double score = 0;
    double lr = 0;
    std::string set;
  };
  std::map<std::string, Best> best;  // By group; diverged trials have no score.
  for (const Trial& t : trials) {
    const double lr = Value(t, "lr");
    if (lr > 0.1) continue;
    const double score = 60 - 10 * std::abs(std::log10(lr) + 2);
    Best& b = best[table.runs(t.row).group()];
    if (b.set.empty() || score > b.score) b = {score, lr, t.set[0]};
  }
  EXPECT_EQ(trainer.calls, 6);

  proto::TunedValues tuned;
  ASSERT_THAT(spec::ParseTextProto(ReadAll(*out + "/tuned.pbtxt"), "tuned.pbtxt", &tuned), IsOk());
  EXPECT_EQ(tuned.profile(), "embedded");
  EXPECT_THAT(tuned.seeds(), ElementsAre(0));  // Table 1's first seed.
  ASSERT_EQ(tuned.cell_size(), static_cast<int>(best.size()));
  for (const proto::TunedCell& c : tuned.cell()) {
    SCOPED_TRACE(c.group());
    EXPECT_EQ(c.set(0), best[c.group()].set);
    EXPECT_NEAR(c.val_score(), best[c.group()].score, 1e-4);  // Stored as float.
    EXPECT_EQ(c.trials(), 3);
  }
  EXPECT_EQ(tuned.cell(0).group(), "cam");
  EXPECT_EQ(tuned.cell(0).variant(), "baseline");
  // Every trial is a row of trials.csv (with its values), the winners marked.
  const std::string csv = ReadAll(*out + "/trials.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7);
  EXPECT_THAT(csv, HasSubstr("cell,label,trial,lr,weight_decay,lambda,adl_drop_rate"));
  const std::vector<std::string> pieces = absl::StrSplit(csv, ",yes\n");
  EXPECT_EQ(static_cast<int>(pieces.size()), tuned.cell_size() + 1);

  // A second tune reuses every trial, the diverged one's failure included: nothing trains.
  ASSERT_THAT(Tune("table1", tune, options, run), IsOk());
  EXPECT_EQ(trainer.calls, 6);
  EXPECT_THAT(ReadAll(*out + "/failed.tsv"), HasSubstr("\ttraining diverged in epoch 1\n"));
  // --rerun trains every trial again.
  TableOptions rerun = options;
  rerun.rerun = true;
  ASSERT_THAT(Tune("table1", tune, rerun, run), IsOk());
  EXPECT_EQ(trainer.calls, 12);

  // The table takes the winners with --tuned: those rows' specs carry them (and name the
  // file), the other rows are untouched, and the CAM row is the winning trial's run.
  TableOptions with = options;
  ASSERT_THAT(UseTunedValues(*out + "/tuned.pbtxt", "table1", &with), IsOk());
  absl::StatusOr<std::vector<PlannedRun>> plain = PlanRuns(table, options);
  absl::StatusOr<std::vector<PlannedRun>> planned = PlanRuns(table, with);
  ASSERT_THAT(planned, IsOk());
  const double cam_lr = best["cam"].lr;
  for (size_t i = 0; i < planned->size(); ++i) {
    const PlannedRun& p = (*planned)[i];
    const proto::TableRun& row = table.runs(p.row);
    const bool is_tuned = (row.group() == "cam" && row.variant() == "baseline") ||
                          (row.group() == "adl" && row.variant() == "er");
    EXPECT_EQ(p.fingerprint != (*plain)[i].fingerprint, is_tuned) << row.label();
    if (row.group() == "cam" && row.variant() == "baseline") {
      EXPECT_FLOAT_EQ(p.experiment.optimizer().lr(), static_cast<float>(cam_lr));
      EXPECT_THAT(p.sources, HasSubstr("--tuned=" + *out + "/tuned.pbtxt"));
      if (p.seed == 0) {
        EXPECT_TRUE(train::ReadVerifiedResults(p.run_dir, p.fingerprint).ok())
            << "the tuned CAM row (seed 0) is not the winning trial's cached run";
      }
    }
  }
}

TEST(TuneTest, TunedValuesForAnotherProfileOrAnUnknownCellAreRefused) {
  TableOptions options;
  const std::string other_profile = WriteTemp("tuned_paper.pbtxt", R"(profile: "paper"
    cell { group: "cam" variant: "baseline" set: "optimizer.lr=0.01" })");
  EXPECT_THAT(UseTunedValues(other_profile, "table1", &options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tuned for --profile=paper; this table runs --profile=embedded")));
  // Each bad file is refused by name, and a bad cell by its index and label; a field the
  // spec does not have is refused here, not later as a table row's error.
  struct Refused {
    const char* file;
    const char* cell;
    std::vector<std::string> expected;
  };
  const Refused refused[] = {
      {"tuned_unknown.pbtxt",
       R"(group: "spg" variant: "baseline" set: "optimizer.lr=0.01")",
       {"tuned_unknown.pbtxt: cell 1 (\"spg:baseline\")", "names no row of table table1"}},
      {"tuned_bad.pbtxt",
       R"(group: "cam" variant: "baseline" set: "optimizer.lr")",
       {"expected field=value"}},
      {"tuned_field.pbtxt",
       R"(group: "cam" variant: "baseline" set: "optimizer.lrr=0.01")",
       {"tuned_field.pbtxt: cell 1 (\"cam:baseline\")", "optimizer.lrr"}},
  };
  for (const Refused& r : refused) {
    const std::string path =
        WriteTemp(r.file, absl::StrCat("profile: \"embedded\"\ncell { ", r.cell, " }"));
    absl::Status status = UseTunedValues(path, "table1", &options);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << r.file << ": " << status;
    for (const std::string& e : r.expected) {
      EXPECT_THAT(std::string(status.message()), HasSubstr(e)) << r.file;
    }
  }
  // A folder where the file should be is named, not read as an empty file.
  EXPECT_THAT(UseTunedValues(::testing::TempDir(), "table1", &options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tuned values")));
  EXPECT_TRUE(options.tuned.empty());
}

}  // namespace
}  // namespace wsol::tables
