// Every table and figure spec, embedded and paper profile, loads and expands into runs
// whose specs parse and validate (with their overrides), and is named after its file, as
// the binaries find their spec by name.
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "paper_tables/lib/table_runner.h"
#include "wsol/util/status_matchers.h"

namespace wsol::tables {
namespace {

namespace fs = std::filesystem;
using ::wsol::testing::IsOk;

// The binaries of paper_tables/BUILD.bazel; each needs a spec in both profiles.
const char* const kBinaries[] = {"table1",         "table1_full",         "table2",
                                 "table3",         "figure_entropy",      "figure_feature_maps",
                                 "figure_qualitative"};

TEST(TableSpecsTest, EveryBinaryHasAnEmbeddedAndAPaperSpecThatPlans) {
  for (const std::string profile : {"embedded", "paper"}) {
    for (const std::string name : kBinaries) {
      const std::string path = "paper_tables/specs/" +
                               std::string(profile == "paper" ? "paper/" : "") + name + ".pbtxt";
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

TEST(TableSpecsTest, NoSpecFileIsLeftWithoutABinary) {
  for (const std::string dir : {"paper_tables/specs", "paper_tables/specs/paper"}) {
    for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".pbtxt") continue;
      const std::string stem = entry.path().stem().string();
      bool found = false;
      for (const char* name : kBinaries) found |= stem == name;
      EXPECT_TRUE(found) << entry.path() << " has no binary in paper_tables/BUILD.bazel";
    }
  }
}

}  // namespace
}  // namespace wsol::tables
