// Every table and figure spec, embedded and paper profile, loads and expands into runs
// whose specs parse and validate (with their overrides), and is named after its file, as
// the binaries find their spec by name.
#include <torch/types.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "baselines/method_builder.h"
#include "gtest/gtest.h"
#include "paper_tables/lib/table_runner.h"
#include "tools/components.h"
#include "wsol/backbones/backbone_registry.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/util/status_matchers.h"

namespace wsol::tables {
namespace {

namespace fs = std::filesystem;
using ::wsol::testing::IsOk;

// The tables of paper_tables/tables.bzl (--tables=a,b,...); each needs a spec in both
// profiles.
std::vector<std::string> table_names;

TEST(TableSpecsTest, EveryBinaryHasAnEmbeddedAndAPaperSpecThatPlans) {
  for (const std::string profile : {"embedded", "paper"}) {
    for (const std::string& name : table_names) {
      const std::string path =
          "paper_tables/specs/" + std::string(profile == "paper" ? "paper/" : "") + name + ".pbtxt";
      SCOPED_TRACE(path);
      absl::StatusOr<proto::TableSpec> table = LoadTableSpec(path);
      ASSERT_THAT(table, IsOk());
      EXPECT_EQ(table->name(), name);
      EXPECT_GT(table->runs_size(), 0);
      TableOptions options;
      options.profile = profile;
      options.data_root = profile == "paper" ? "/data" : "";
      options.cache_dir = ::testing::TempDir() + "/cache";
      absl::StatusOr<std::vector<PlannedRun>> runs = PlanRuns(*table, options);
      ASSERT_THAT(runs, IsOk());
      EXPECT_EQ(runs->size(), static_cast<size_t>(table->runs_size() * table->seeds_size()));
    }
  }
}

// The planned runs of a paper-profile table (without data or weights).
absl::StatusOr<std::vector<PlannedRun>> PlanPaperTable(const std::string& name) {
  absl::StatusOr<proto::TableSpec> table =
      LoadTableSpec("paper_tables/specs/paper/" + name + ".pbtxt");
  if (!table.ok()) return table.status();
  TableOptions options;
  options.profile = "paper";
  options.data_root = "/data";
  options.cache_dir = ::testing::TempDir() + "/cache";
  return PlanRuns(*table, options);
}

// (architecture, dataset, method, regularizer case) of every planned run of a paper table.
std::multiset<std::tuple<std::string, std::string, int, int>> PaperGrid(const std::string& name) {
  std::multiset<std::tuple<std::string, std::string, int, int>> grid;
  absl::StatusOr<std::vector<PlannedRun>> runs = PlanPaperTable(name);
  EXPECT_THAT(runs, IsOk());
  if (!runs.ok()) return grid;
  for (const PlannedRun& run : *runs) {
    const proto::Experiment& e = run.experiment;
    grid.emplace(e.backbone().architecture(), e.dataset().name(), e.method().method_case(),
                 e.regularizer().regularizer_case());
  }
  return grid;
}

TEST(TableSpecsTest, PaperTable1IsThePapersGrid) {
  // PreResNet-18 and SE-ResNet-50 x CUB and OpenImages x CAM, HaS, CutMix, ADL, RDAP x
  // without and with ER, each once.
  std::multiset<std::tuple<std::string, std::string, int, int>> want;
  for (const std::string architecture : {"preresnet18", "se_resnet50"}) {
    for (const std::string dataset : {"CUB", "OpenImages"}) {
      for (int method : {proto::Method::kCam, proto::Method::kHas, proto::Method::kCutmix,
                         proto::Method::kAdl, proto::Method::kRdap}) {
        for (int regularizer : {proto::Regularizer::kNone, proto::Regularizer::kEntropyKlUniform}) {
          want.emplace(architecture, dataset, method, regularizer);
        }
      }
    }
  }
  EXPECT_EQ(PaperGrid("table1"), want);
}

TEST(TableSpecsTest, PaperExtensionHasWsolevaluationsBackbonesAndTheMaskDataSets) {
  std::set<std::string> architectures, datasets;
  for (const auto& [architecture, dataset, method, regularizer] : PaperGrid("table1_extension")) {
    architectures.insert(architecture);
    datasets.insert(dataset);
  }
  EXPECT_EQ(architectures, (std::set<std::string>{"inception_v3", "resnet50", "vgg16"}));
  EXPECT_EQ(datasets, (std::set<std::string>{"CUB", "OpenImages", "Oxford", "VOC"}));
  // Table 2 sweeps lambda on CUB and on OpenImages.
  std::set<std::string> table2_datasets;
  for (const auto& run : PaperGrid("table2")) table2_datasets.insert(std::get<1>(run));
  EXPECT_EQ(table2_datasets, (std::set<std::string>{"CUB", "OpenImages"}));
}

// The paper's backbones run with the paper's feature map (only the last strided
// convolution made stride 1: 14x14 at 224 px) in every paper table, whatever the borrowed
// recipe says; the large map is a named variant.
TEST(TableSpecsTest, ThePapersBackbonesUseThePapersFeatureMap) {
  int checked = 0;
  for (const std::string& name : table_names) {
    SCOPED_TRACE(name);
    absl::StatusOr<std::vector<PlannedRun>> runs = PlanPaperTable(name);
    ASSERT_THAT(runs, IsOk());
    for (const PlannedRun& run : *runs) {
      const proto::Backbone& backbone = run.experiment.backbone();
      if (backbone.architecture() != "preresnet18" && backbone.architecture() != "se_resnet50") {
        continue;
      }
      ++checked;
      EXPECT_FALSE(backbone.large_feature_map())
          << run.experiment.name() << " (" << run.experiment.dataset().name() << ")";
    }
  }
  EXPECT_GT(checked, 100);
  absl::StatusOr<spec::ComposedExperiment> variant = spec::LoadComposedExperiment(
      {"baselines/specs/paper/cam_preresnet18_cub_large_map.pbtxt"}, {}, ".", {});
  ASSERT_THAT(variant, IsOk());
  EXPECT_TRUE(variant->experiment.backbone().large_feature_map());
  EXPECT_EQ(variant->experiment.backbone().architecture(), "preresnet18");
}

// table1_extension (paper profile) carries wsolevaluation's six published CAM numbers, one
// per CAM baseline row of CUB and OpenImages, each with its source.
TEST(TableSpecsTest, TheExtensionCarriesThePublishedCamNumbers) {
  TableOptions options;
  options.profile = "paper";
  absl::StatusOr<proto::TableSpec> table = LoadTableSpecFor("table1_extension", options);
  ASSERT_THAT(table, IsOk());
  std::map<std::string, double> published;
  for (const proto::TableRun& run : table->runs()) {
    for (const proto::PublishedValue& v : run.published()) {
      EXPECT_EQ(run.variant(), "baseline");
      EXPECT_FALSE(v.source().empty());
      published[run.group() + " " + v.column()] = v.value();
    }
  }
  EXPECT_EQ(published, (std::map<std::string, double>{
                           {"cam_inception_v3_cub max_box_acc_v2", 56.7},
                           {"cam_inception_v3_openimages pxap", 63.2},
                           {"cam_resnet50_cub max_box_acc_v2", 63.0},
                           {"cam_resnet50_openimages pxap", 58.5},
                           {"cam_vgg16_cub max_box_acc_v2", 63.7},
                           {"cam_vgg16_openimages pxap", 58.3},
                       }));
}

TEST(TableSpecsTest, NoSpecFileIsLeftWithoutABinary) {
  for (const std::string dir : {"paper_tables/specs", "paper_tables/specs/paper"}) {
    for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".pbtxt") continue;
      const std::string stem = entry.path().stem().string();
      bool found = false;
      for (const std::string& name : table_names) found |= stem == name;
      EXPECT_TRUE(found) << entry.path() << " has no binary: add it to paper_tables/tables.bzl";
    }
  }
}

// Every cell of the paper profile's Table 1 grids validates with the component checks,
// scores its last checkpoint as wsolevaluation does, and builds its model at full width:
// backbone, method attached, one evaluation forward at 64 px. Width-1 models are slow to
// build on a CPU, so each distinct (backbone, feature map, method) once.
TEST(TableSpecsTest, EveryPaperCellValidatesAndBuildsItsModel) {
  const std::vector<std::string> architectures = backbones::BackboneNames();
  const std::set<std::string> registered(architectures.begin(), architectures.end());
  std::set<std::tuple<std::string, bool, int>> constructed;
  for (const std::string name : {"table1_full", "table1_extension"}) {
    absl::StatusOr<proto::TableSpec> table =
        LoadTableSpec("paper_tables/specs/paper/" + name + ".pbtxt");
    ASSERT_THAT(table, IsOk());
    TableOptions options;
    options.profile = "paper";
    options.validators = tools::StandardValidators();
    absl::StatusOr<std::vector<PlannedRun>> runs = PlanRuns(*table, options);
    ASSERT_THAT(runs, IsOk());
    for (const PlannedRun& run : *runs) {
      const proto::Experiment& e = run.experiment;
      SCOPED_TRACE(e.name());
      EXPECT_EQ(e.evaluation().checkpoint_selection(), proto::Evaluation::LAST_EPOCH);
      const proto::Backbone& b = e.backbone();
      if (!constructed.emplace(b.architecture(), b.large_feature_map(), e.method().method_case())
               .second ||
          registered.count(b.architecture()) == 0) {
        continue;
      }
      absl::StatusOr<std::shared_ptr<methods::Method>> method = baselines::BuildMethod(e.method());
      ASSERT_THAT(method.status(), IsOk());
      auto net =
          backbones::CreateBackbone(b.architecture(), {.num_classes = e.dataset().num_classes(),
                                                       .width_multiplier = b.width_multiplier(),
                                                       .large_feature_map = b.large_feature_map()});
      ASSERT_NE(net, nullptr);
      (*method)->Attach(*net, e.dataset().num_classes());
      net->eval();
      (*method)->eval();
      torch::NoGradGuard no_grad;
      const methods::Inference inference =
          (*method)->Infer(*net, torch::zeros({1, 3, 64, 64}), torch::zeros({1}, torch::kLong));
      EXPECT_EQ(inference.logits.size(1), e.dataset().num_classes());
    }
  }
  // 7 methods x (backbone, feature map): PreResNet-18, SE-ResNet-50 and VGG16 at the small
  // map, InceptionV3 at the large one, ResNet50 at both (CUB large, OpenImages small).
  EXPECT_EQ(constructed.size(), 42u);
}

bool update_goldens = false;

// One line per planned run of every table in both profiles: its row, label, setting,
// seed, result fingerprint (the cache key) and spec fingerprint (every field, the name
// included, without the cache folder). A change to how tables or specs are written must
// keep them, so every cached run stays valid.
std::string PlannedFingerprints() {
  std::ostringstream out;
  for (const std::string profile : {"embedded", "paper"}) {
    for (const std::string& name : table_names) {
      const std::string path =
          "paper_tables/specs/" + std::string(profile == "paper" ? "paper/" : "") + name + ".pbtxt";
      absl::StatusOr<proto::TableSpec> table = LoadTableSpec(path);
      EXPECT_THAT(table, IsOk());
      if (!table.ok()) continue;
      TableOptions options;
      options.profile = profile;
      options.cache_dir = "wsol_cache";
      absl::StatusOr<std::vector<PlannedRun>> runs = PlanRuns(*table, options);
      EXPECT_THAT(runs, IsOk()) << path;
      if (!runs.ok()) continue;
      for (const PlannedRun& run : *runs) {
        proto::Experiment spec = run.experiment;
        spec.mutable_runtime()->clear_output_dir();
        const proto::TableRun& row = table->runs(run.row);
        out << absl::StrJoin(
                   {profile, name, absl::StrCat(run.row), row.label(), row.setting(),
                    absl::StrCat("seed=", run.seed), run.fingerprint, spec::SpecFingerprint(spec)},
                   "\t")
            << "\n";
      }
    }
  }
  return out.str();
}

TEST(TableSpecsTest, EveryPlannedRunKeepsItsRecordedFingerprints) {
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  const std::string golden = std::string(update_goldens && workspace != nullptr ? workspace : ".") +
                             "/paper_tables/goldens/table_fingerprints.tsv";
  const std::string planned = PlannedFingerprints();
  if (update_goldens) {
    std::ofstream(golden) << planned;
    GTEST_SKIP() << "recorded " << golden;
  }
  std::ifstream in(golden);
  ASSERT_TRUE(in) << golden << " is missing: record it with bazel run "
                  << "//paper_tables/lib:table_specs_test -- --update_goldens";
  std::stringstream recorded;
  recorded << in.rdbuf();
  std::istringstream want(recorded.str()), got(planned);
  std::string want_line, got_line;
  int line = 0;
  while (true) {
    const bool more_want = static_cast<bool>(std::getline(want, want_line));
    const bool more_got = static_cast<bool>(std::getline(got, got_line));
    ++line;
    if (!more_want && !more_got) break;
    ASSERT_EQ(got_line, want_line) << golden << ":" << line << " (want) vs planned (got)";
  }
}

}  // namespace
}  // namespace wsol::tables

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--update_goldens") == 0) wsol::tables::update_goldens = true;
    if (std::strncmp(argv[i], "--tables=", 9) == 0) {
      wsol::tables::table_names = absl::StrSplit(argv[i] + 9, ',');
    }
  }
  if (wsol::tables::table_names.empty()) {
    std::cerr << "--tables=a,b,... (paper_tables/tables.bzl) is required\n";
    return 2;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
