#include "wsol/cam/cam.h"

#include <torch/types.h>

#include <cmath>
#include <limits>

#include "gtest/gtest.h"
#include "opencv2/imgproc.hpp"

namespace wsol::cam {
namespace {

TEST(ClassActivationMapsTest, HandWorkedTwoChannelMap) {
  // Two channels on a 2x2 grid; class 1 weighs them (2, -1): CAM = (2 f0 - f1) / 2.
  torch::Tensor features =
      torch::tensor({{{{1.0f, 2.0f}, {3.0f, 4.0f}}, {{4.0f, 0.0f}, {2.0f, 2.0f}}}});
  torch::Tensor weight = torch::tensor({{1.0f, 1.0f}, {2.0f, -1.0f}});
  torch::Tensor maps = ClassActivationMaps(features, weight, torch::tensor({1}));
  // (2*1-4)/2 = -1, (2*2-0)/2 = 2, (2*3-2)/2 = 2, (2*4-2)/2 = 3.
  EXPECT_TRUE(maps.equal(torch::tensor({{{-1.0f, 2.0f}, {2.0f, 3.0f}}})));
}

TEST(ClassActivationMapsTest, PicksEachImagesOwnClass) {
  torch::manual_seed(0);
  torch::Tensor features = torch::randn({3, 4, 5, 5});
  torch::Tensor weight = torch::randn({6, 4});
  torch::Tensor classes = torch::tensor({5, 0, 2});
  torch::Tensor maps = ClassActivationMaps(features, weight, classes);
  for (int b = 0; b < 3; ++b) {
    torch::Tensor expected =
        (weight[classes[b].item<int64_t>()].view({4, 1, 1}) * features[b]).mean(0);
    EXPECT_TRUE(torch::allclose(maps[b], expected, 1e-5, 1e-6));
  }
}

TEST(NormalizeMinMaxTest, ScalesToUnitRangeAndZeroesDegenerateMaps) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  torch::Tensor maps = torch::stack(
      {torch::tensor({{2.0f, 4.0f}, {6.0f, 10.0f}}), torch::full({2, 2}, 7.0f),
       torch::tensor({{1.0f, nan}, {0.0f, 3.0f}}), torch::tensor({{1.0f, inf}, {0.0f, 3.0f}}),
       torch::tensor({{1.0f, -inf}, {0.0f, 3.0f}})});
  torch::Tensor out = NormalizeMinMax(maps);
  EXPECT_TRUE(torch::allclose(out[0], torch::tensor({{0.0f, 0.25f}, {0.5f, 1.0f}})));
  EXPECT_TRUE(out[1].eq(0).all().item<bool>());  // constant -> zeros
  EXPECT_TRUE(out[2].eq(0).all().item<bool>());  // NaN -> zeros
  EXPECT_TRUE(out[3].eq(0).all().item<bool>());  // +inf -> zeros (was a NaN pixel)
  EXPECT_TRUE(out[4].eq(0).all().item<bool>());  // -inf -> zeros (was all NaN)
}

TEST(ResizeAndNormalizeTest, MatchesOpenCvCubicResizeThenMinMax) {
  // wsolevaluation resizes each CAM with cv2.resize(..., INTER_CUBIC) and then min-max
  // normalizes; our LibTorch path must give the same map.
  torch::manual_seed(1);
  torch::Tensor raw = torch::randn({1, 7, 7});
  torch::Tensor ours = ResizeAndNormalize(raw, 56, 56)[0];
  cv::Mat small(7, 7, CV_32F, raw.data_ptr<float>());
  cv::Mat big;
  cv::resize(small, big, cv::Size(56, 56), 0, 0, cv::INTER_CUBIC);
  double lo, hi;
  cv::minMaxLoc(big, &lo, &hi);
  cv::Mat reference = (big - lo) / (hi - lo);
  torch::Tensor ref = torch::from_blob(reference.ptr<float>(), {56, 56}, torch::kFloat);
  EXPECT_LT((ours - ref).abs().max().item<float>(), 1e-4);
}

TEST(GradCamTest, EqualsCamUpToScaleForGapLinearHead) {
  // For logits = W . GAP(F), d logit_c / d F_k = W[c, k] / (h w): Grad-CAM's weights are
  // the classifier weights, so Grad-CAM = ReLU(CAM * K / (h w)).
  torch::manual_seed(2);
  torch::Tensor features = torch::randn({2, 3, 4, 4}).requires_grad_();
  torch::Tensor weight = torch::randn({5, 3});
  torch::Tensor logits = torch::matmul(features.mean({2, 3}), weight.t());
  torch::Tensor classes = torch::tensor({1, 4});
  torch::Tensor scores = logits.gather(1, classes.unsqueeze(1)).squeeze(1);
  torch::Tensor grad_cam = GradCam(features, scores);
  torch::Tensor cam = ClassActivationMaps(features.detach(), weight, classes);
  EXPECT_TRUE(torch::allclose(grad_cam, torch::relu(cam * 3.0 / 16.0), 1e-5, 1e-6));
}

}  // namespace
}  // namespace wsol::cam
