// The paper profile end to end on a CPU, in a few minutes: paper specs (full-width
// backbones at 224 px, wsolevaluation's recipe) trained for one epoch from "pretrained"
// weights imported from state dicts in the layouts users have (pytorchcv's preresnet18,
// timm's seresnet50; generated, no download), on data written in the formats the real
// sets come in:
//   - a CUB-200-2011 folder in its official layout (a few dozen JPEGs, one box each),
//     turned into metadata by //datasets:prepare's CUB preparer;
//   - an OpenImages-format mask set (wsolevaluation metadata, masks as PNGs) whose
//     images carry one or two labels, each label with its own mask (multi_label).
// results.json must hold every metric the annotations allow: the box metrics for CUB,
// PxAP and mPxAP for the two-label mask set.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "datasets/prepare/prepare.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "tools/components.h"
#include "wsol/backbones/checkpoint_layouts_testing.h"
#include "wsol/backbones/state_dict_io.h"
#include "wsol/metadata/metadata.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/run_folder.h"
#include "wsol/train/trainer.h"
#include "wsol/util/status_matchers.h"

namespace wsol::tables {
namespace {

namespace fs = std::filesystem;
using ::wsol::testing::IsOk;

std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void WriteText(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

// A 160 x 120 picture: a textured background and, inside `box`, an ellipse whose colour
// depends on the class (what a classifier can learn and a CAM can find).
cv::Mat Picture(int cls, int seed, const cv::Rect& box) {
  cv::Mat image(120, 160, CV_8UC3);
  cv::randu(image, cv::Scalar::all(40 + seed % 7), cv::Scalar::all(110));
  const cv::Scalar colour(60 * (cls % 3) + 60, 200 - 50 * cls, 90 + 40 * (cls % 2));
  cv::ellipse(image, (box.tl() + box.br()) / 2, box.size() / 2, 0, 0, 360, colour, cv::FILLED);
  return image;
}

cv::Rect BoxFor(int cls, int index) {
  const int x = 10 + 23 * ((index + cls) % 4), y = 8 + 17 * ((index * 3 + cls) % 3);
  return cv::Rect(x, y, 50 + 6 * (index % 3), 40 + 5 * (cls % 3));
}

// CUB_200_2011 in its official layout: 4 classes x 10 images, 6 train and 4 test each.
std::string WriteCubLayout() {
  const std::string source = FreshDir("CUB_200_2011");
  std::string images, labels, split, boxes, classes;
  int id = 0;
  for (int cls = 1; cls <= 4; ++cls) {
    classes += absl::StrCat(cls, " ", 100 + cls, ".Bird_", cls, "\n");
    for (int i = 0; i < 10; ++i) {
      ++id;
      const std::string path = absl::StrCat(100 + cls, ".Bird_", cls, "/bird_", id, ".jpg");
      const cv::Rect box = BoxFor(cls, i);
      fs::create_directories(fs::path(source + "/images/" + path).parent_path());
      EXPECT_TRUE(cv::imwrite(source + "/images/" + path, Picture(cls, id, box))) << path;
      absl::StrAppend(&images, id, " ", path, "\n");
      absl::StrAppend(&labels, id, " ", cls, "\n");
      absl::StrAppend(&split, id, " ", i < 6 ? 1 : 0, "\n");
      absl::StrAppend(&boxes, id, " ", box.x, ".0 ", box.y, ".0 ", box.width, ".0 ", box.height,
                      ".0\n");
    }
  }
  WriteText(source + "/images.txt", images);
  WriteText(source + "/image_class_labels.txt", labels);
  WriteText(source + "/train_test_split.txt", split);
  WriteText(source + "/bounding_boxes.txt", boxes);
  WriteText(source + "/classes.txt", classes);
  return source;
}

// An OpenImages-format mask set of 3 classes: every image holds one object of its first
// class, and every other image a second object of the next class, each with its own mask
// (the i-th mask line of an image belongs to its i-th label).
std::string WriteTwoLabelMaskSet() {
  const std::string root = FreshDir("mask_set");
  for (const auto& [split, count] :
       std::vector<std::pair<std::string, int>>{{"train", 12}, {"val", 6}, {"test", 6}}) {
    metadata::SplitMetadata metadata;
    metadata.kind = metadata::LocalizationKind::kMasks;
    for (int i = 0; i < count; ++i) {
      const int first = i % 3, second = (i + 1) % 3;
      const bool two = i % 2 == 1;
      const std::string id = absl::StrCat(split, "/img_", i, ".jpg");
      cv::Mat image(120, 160, CV_8UC3);
      cv::randu(image, cv::Scalar::all(30), cv::Scalar::all(100));
      metadata::ImageRecord record{.image_id = id, .labels = {first}, .width = 160, .height = 120};
      std::vector<std::pair<int, cv::Rect>> objects = {{first, cv::Rect(8 + 5 * i, 10, 60, 50)}};
      if (two) {
        record.labels.push_back(second);
        objects.push_back({second, cv::Rect(90, 55 - 3 * i, 55, 45)});
      }
      for (const auto& [cls, rect] : objects) {
        cv::Mat mask(120, 160, CV_8UC1, cv::Scalar(0));
        cv::ellipse(mask, (rect.tl() + rect.br()) / 2, rect.size() / 2, 0, 0, 360, cv::Scalar(255),
                    cv::FILLED);
        image.setTo(cv::Scalar(80 * cls + 40, 220 - 70 * cls, 120), mask);
        const std::string mask_path = absl::StrCat("masks/", split, "/img_", i, "_", cls, ".png");
        fs::create_directories(fs::path(root + "/" + mask_path).parent_path());
        EXPECT_TRUE(cv::imwrite(root + "/" + mask_path, mask));
        record.mask_paths.push_back(mask_path);
      }
      fs::create_directories(fs::path(root + "/images/" + id).parent_path());
      EXPECT_TRUE(cv::imwrite(root + "/images/" + id, image));
      metadata.images.push_back(record);
    }
    EXPECT_THAT(metadata::WriteSplitMetadata(metadata, root + "/metadata/" + split), IsOk());
  }
  return root;
}

// One epoch of a paper spec on a CPU with the given data and pretrained file.
absl::StatusOr<proto::RunResults> TrainPaperSpec(const std::string& spec_path,
                                                 std::vector<std::string> overrides,
                                                 const std::string& run_dir) {
  overrides.insert(overrides.end(),
                   {"optimizer.epochs=1", "optimizer.batch_size=8", "runtime.device=cpu",
                    "runtime.threads=2", "runtime.output_dir=" + run_dir});
  absl::StatusOr<proto::Experiment> spec =
      spec::LoadExperimentFile(spec_path, overrides, tools::StandardValidators());
  if (!spec.ok()) return spec.status();
  train::TrainerOptions options;
  options.components = tools::StandardComponents();
  options.cache_dir = ::testing::TempDir() + "/cache";
  options.progress = false;
  return train::RunExperiment(*spec, options);
}

void ExpectPercent(bool present, double value, const char* name) {
  EXPECT_TRUE(present) << name << " missing from results.json";
  EXPECT_GE(value, 0.0) << name;
  EXPECT_LE(value, 100.0) << name;
}

TEST(PaperProfileTest, PreResNet18OnCubFromPytorchcvWeights) {
  const std::string source = WriteCubLayout();
  const std::string prepared = FreshDir("CUB");
  absl::StatusOr<datasets::PrepareResult> prepare =
      datasets::PrepareDataset("CUB", {.source = source, .out = prepared, .val_per_class = 2});
  ASSERT_THAT(prepare, IsOk());
  const std::string weights = ::testing::TempDir() + "/preresnet18_pytorchcv.pth";
  backbones::WriteStateDict(backbones::testing::PytorchcvPreResNet18(), weights);

  const std::string run_dir = ::testing::TempDir() + "/run_cub";
  absl::StatusOr<proto::RunResults> trained = TrainPaperSpec(
      "baselines/specs/paper/cam_preresnet18_cub_er.pbtxt",
      {"dataset.root=" + prepare->image_root, "dataset.metadata_root=" + prepared + "/metadata",
       "dataset.num_classes=4", "backbone.pretrained_path=" + weights},
      run_dir);
  ASSERT_THAT(trained, IsOk());
  absl::StatusOr<proto::RunResults> results = train::ReadResults(run_dir);
  ASSERT_THAT(results, IsOk());
  const proto::SplitMetrics& t = results->test();
  EXPECT_EQ(t.images(), 16);
  EXPECT_TRUE(t.has_boxes());
  EXPECT_FALSE(t.has_masks());
  ExpectPercent(t.has_top1_cls(), t.top1_cls(), "top1_cls");
  ExpectPercent(t.has_top1_loc(), t.top1_loc(), "top1_loc");
  ExpectPercent(t.has_gt_known_loc(), t.gt_known_loc(), "gt_known_loc");
  ExpectPercent(t.has_max_box_acc(), t.max_box_acc(), "max_box_acc");
  ExpectPercent(t.has_max_box_acc_v2(), t.max_box_acc_v2(), "max_box_acc_v2");
  EXPECT_EQ(t.max_box_acc_v2_per_iou_size(), 3);
  EXPECT_TRUE(t.has_mean_entropy());
  EXPECT_FALSE(t.has_pxap());
  EXPECT_FALSE(t.has_mpxap());
  EXPECT_EQ(results->evaluated_epoch(), 1);  // LAST_EPOCH, as wsolevaluation
  ASSERT_EQ(results->history_size(), 1);
  EXPECT_TRUE(std::isfinite(results->history(0).train_loss()));
}

TEST(PaperProfileTest, SeResNet50OnATwoLabelMaskSetFromTimmWeights) {
  const std::string root = WriteTwoLabelMaskSet();
  const std::string weights = ::testing::TempDir() + "/seresnet50_timm.pth";
  backbones::WriteStateDict(backbones::testing::TimmSeResNet50(false), weights);
  const std::string run_dir = ::testing::TempDir() + "/run_masks";
  absl::StatusOr<proto::RunResults> trained = TrainPaperSpec(
      // Table 1's SE-ResNet-50 OpenImages cell: the same recipe as PreResNet-18's.
      "baselines/specs/paper/cam_preresnet18_openimages.pbtxt",
      {"backbone.architecture=se_resnet50", "dataset.root=" + root + "/images",
       "dataset.metadata_root=" + root + "/metadata", "dataset.mask_root=" + root,
       "dataset.num_classes=3", "dataset.multi_label=true", "backbone.pretrained_path=" + weights,
       "optimizer.batch_size=4"},
      run_dir);
  ASSERT_THAT(trained, IsOk());
  absl::StatusOr<proto::RunResults> results = train::ReadResults(run_dir);
  ASSERT_THAT(results, IsOk());
  const proto::SplitMetrics& t = results->test();
  EXPECT_EQ(t.images(), 6);
  EXPECT_TRUE(t.has_masks());
  EXPECT_FALSE(t.has_boxes());
  ExpectPercent(t.has_top1_cls(), t.top1_cls(), "top1_cls");
  ExpectPercent(t.has_pxap(), t.pxap(), "pxap");
  ExpectPercent(t.has_mpxap(), t.mpxap(), "mpxap");
  EXPECT_FALSE(t.has_max_box_acc_v2());
  EXPECT_TRUE(t.has_mean_entropy());
}

}  // namespace
}  // namespace wsol::tables
