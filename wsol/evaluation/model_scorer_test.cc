#include "wsol/evaluation/model_scorer.h"

#include <ATen/ATen.h>

#include <cmath>

#include "gtest/gtest.h"
#include "wsol/util/status_matchers.h"

namespace wsol::evaluation {
namespace {

using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

metadata::SplitMetadata TwoImages() {
  metadata::SplitMetadata split;
  for (int i = 0; i < 2; ++i) {
    metadata::ImageRecord r;
    r.image_id = "img/" + std::to_string(i) + ".png";
    r.width = r.height = 4;
    r.labels = {i};
    split.images.push_back(r);
  }
  return split;
}

// Worked by hand: image 0 (label 0) predicts (0.75, 0.25), right; image 1 (label 1)
// predicts (0.5, 0.5), whose argmax is class 0, wrong. Top-1 50%, mean entropy
// (H(0.75, 0.25) + ln 2) / 2, mean off-target mass (0.25 + 0.5) / 2.
TEST(ModelScorerTest, ClassificationEntropyAndOffTargetMassOfASplit) {
  const metadata::SplitMetadata split = TwoImages();
  absl::StatusOr<ModelScorer> scorer = ModelScorer::Create({.images = &split, .total = 2});
  ASSERT_THAT(scorer, IsOk());
  const at::Tensor log_p = at::tensor({0.75, 0.25, 0.5, 0.5}, at::kDouble).reshape({2, 2}).log();
  const at::Tensor map = at::zeros({4, 4}, at::kDouble);
  std::vector<ScoredImage> images = {
      {.index = 0, .position = 0, .labels = &split.images[0].labels, .maps = {map}},
      {.index = 1, .position = 1, .labels = &split.images[1].labels, .maps = {map}}};
  ASSERT_THAT(scorer->Add(images, log_p), IsOk());
  absl::StatusOr<proto::SplitMetrics> m = scorer->Finish("val");
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->images(), 2);
  EXPECT_DOUBLE_EQ(m->top1_cls(), 50.0);
  const double h = -(0.75 * std::log(0.75) + 0.25 * std::log(0.25));
  EXPECT_NEAR(m->mean_entropy(), (h + std::log(2.0)) / 2, 1e-12);
  EXPECT_NEAR(m->mean_off_target_mass(), 0.375, 1e-12);
  EXPECT_FALSE(m->has_boxes());
}

TEST(ModelScorerTest, APositionOutsideTheSplitIsAnErrorNotAWrite) {
  const metadata::SplitMetadata split = TwoImages();
  absl::StatusOr<ModelScorer> scorer = ModelScorer::Create({.images = &split, .total = 2});
  ASSERT_THAT(scorer, IsOk());
  const at::Tensor log_p = at::full({1, 2}, std::log(0.5), at::kDouble);
  std::vector<ScoredImage> images = {
      {.index = 1, .position = 2, .labels = &split.images[1].labels, .maps = {}}};
  EXPECT_THAT(scorer->Add(images, log_p),
              StatusIs(absl::StatusCode::kInternal,
                       HasSubstr("image 1 at position 2 of a split of 2 images")));
  EXPECT_THAT(scorer->Finish("val"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("val: no images")));
}

}  // namespace
}  // namespace wsol::evaluation
