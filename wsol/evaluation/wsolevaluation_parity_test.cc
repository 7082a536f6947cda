// Our evaluation against clovaai/wsolevaluation's own BoxEvaluator and MaskEvaluator on
// the deterministic sets of parity_fixture.h. testdata/wsolevaluation_golden.txt holds the
// numbers their Python code gave on these sets (tools/regenerate_metric_goldens.sh); we
// rebuild the same sets here, score them with EvaluateFolder and require the same per-
// threshold counts and histograms exactly and the same accuracies to the last bit.
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wsol/evaluation/evaluate_folder.h"
#include "wsol/evaluation/parity_fixture.h"
#include "wsol/util/status_matchers.h"

namespace wsol::evaluation {

using metrics::BoxAccuracyResult;
using metrics::NumpySum;
using metrics::PxapResult;
namespace {

using ::wsol::testing::IsOk;

constexpr char kGolden[] = "wsol/evaluation/testdata/wsolevaluation_golden.txt";

// "<setting> <key>" -> the values on that line.
using Golden = std::map<std::string, std::vector<std::string>>;

Golden ReadGolden() {
  Golden golden;
  std::ifstream in(kGolden);
  EXPECT_TRUE(in.is_open()) << kGolden;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() < 3) {
      ADD_FAILURE() << kGolden << ": malformed line \"" << line << "\"";
      continue;
    }
    golden[fields[0] + " " + fields[1]] =
        std::vector<std::string>(fields.begin() + 2, fields.end());
  }
  return golden;
}

std::vector<int64_t> Ints(const std::vector<std::string>& values) {
  std::vector<int64_t> out;
  for (const std::string& v : values) {
    int64_t x = 0;
    EXPECT_TRUE(absl::SimpleAtoi(v, &x)) << v;
    out.push_back(x);
  }
  return out;
}

double Double(const std::vector<std::string>& values) {
  double x = 0;
  EXPECT_EQ(values.size(), 1u);
  EXPECT_TRUE(!values.empty() && absl::SimpleAtod(values[0], &x));
  return x;
}

class WsolevaluationParityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* tmp = std::getenv("TEST_TMPDIR");
    root_ = new std::string(absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/parity"));
    ASSERT_THAT(WriteFixture(BoxFixture(), metadata::LocalizationKind::kBoxes, *root_ + "/boxes"),
                IsOk());
    ASSERT_THAT(WriteFixture(MaskFixture(), metadata::LocalizationKind::kMasks, *root_ + "/masks"),
                IsOk());
  }
  static void TearDownTestSuite() { delete root_; }

  static std::string* root_;
  Golden golden_ = ReadGolden();
};
std::string* WsolevaluationParityTest::root_ = nullptr;

TEST_F(WsolevaluationParityTest, BoxesMatchBoxEvaluator) {
  int settings = 0;
  for (const double interval : {0.01, 0.001}) {
    for (const bool multi : {false, true}) {
      const std::string name = absl::StrCat("boxes_", interval, "_", multi ? "multi" : "single");
      SCOPED_TRACE(name);
      for (const int threads : {1, 3}) {
        const absl::StatusOr<EvaluationReport> report =
            EvaluateFolder({.metadata = *root_ + "/boxes/metadata",
                            .scoremaps = *root_ + "/boxes/scoremaps",
                            .cam_curve_interval = interval,
                            .multi_contour = multi,
                            .iou_thresholds = {30, 50, 70},
                            .threads = threads});
        ASSERT_THAT(report, IsOk());
        ASSERT_TRUE(report->boxes.has_value());
        const BoxAccuracyResult& b = *report->boxes;
        EXPECT_EQ(b.num_images, kFixtureBoxImages);
        for (size_t u = 0; u < 3; ++u) {
          const int iou = b.iou_thresholds[u];
          const auto counts = golden_.find(absl::StrCat(name, " num_correct_", iou));
          const auto acc = golden_.find(absl::StrCat(name, " max_box_acc_", iou));
          ASSERT_NE(counts, golden_.end()) << "golden lacks " << name << " num_correct_" << iou;
          ASSERT_NE(acc, golden_.end()) << "golden lacks " << name << " max_box_acc_" << iou;
          EXPECT_EQ(b.num_correct[u], Ints(counts->second)) << "IoU " << iou;
          EXPECT_EQ(b.max_box_acc[u], Double(acc->second)) << "IoU " << iou;
        }
      }
      settings += golden_.count(name + " max_box_acc_30");
    }
  }
  EXPECT_EQ(settings, 4);
}

TEST_F(WsolevaluationParityTest, PxapMatchesMaskEvaluator) {
  for (const double interval : {0.01, 0.001}) {
    const std::string name = absl::StrCat("masks_", interval);
    SCOPED_TRACE(name);
    for (const int threads : {1, 3}) {
      const absl::StatusOr<EvaluationReport> report =
          EvaluateFolder({.metadata = *root_ + "/masks/metadata",
                          .scoremaps = *root_ + "/masks/scoremaps",
                          .mask_root = *root_ + "/masks/masks",
                          .cam_curve_interval = interval,
                          .threads = threads});
      ASSERT_THAT(report, IsOk());
      ASSERT_TRUE(report->masks.has_value());
      const PxapResult& m = *report->masks;
      EXPECT_EQ(m.num_images, kFixtureMaskImages);
      ASSERT_TRUE(golden_.count(name + " gt_true_hist") && golden_.count(name + " pxap"))
          << "golden lacks " << name;
      EXPECT_EQ(m.gt_true_hist, Ints(golden_[name + " gt_true_hist"]));
      EXPECT_EQ(m.gt_false_hist, Ints(golden_[name + " gt_false_hist"]));
      // Their AP sums float64 products in numpy's order (NumpySum): the same bits.
      EXPECT_EQ(m.pxap, Double(golden_[name + " pxap"]));
    }
  }
}

}  // namespace
}  // namespace wsol::evaluation
