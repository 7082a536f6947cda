#include "wsol/train/components_testing.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "wsol/metadata/metadata.h"
#include "wsol/methods/cam_method.h"
#include "wsol/util/status_macros.h"

namespace wsol::train::testing {
namespace {

namespace fs = std::filesystem;

std::string Root(const proto::Dataset& dataset, const std::string& cache_dir) {
  const proto::FmnistLoc& f = dataset.fmnist_loc();
  return absl::StrCat(cache_dir, "/synthetic_", f.canvas_size(), "_", f.min_item_size(), "_",
                      f.max_item_size(), "_", f.train_per_class(), "_", f.val_per_class(), "_",
                      f.test_per_class(), "_", f.seed());
}

// One split: `per_class` canvases per class, each one shape with its box.
absl::StatusOr<metadata::SplitMetadata> DrawSplit(const proto::FmnistLoc& f, int per_class,
                                                  const std::string& name, std::mt19937* rng,
                                                  const std::string& root) {
  metadata::SplitMetadata split;
  split.kind = metadata::LocalizationKind::kBoxes;
  fs::create_directories(root + "/images/" + name);
  fs::create_directories(root + "/masks/" + name);
  const int side = f.canvas_size();
  for (int c = 0; c < 10; ++c) {
    for (int i = 0; i < per_class; ++i) {
      const int size =
          std::uniform_int_distribution<int>(f.min_item_size(), f.max_item_size())(*rng);
      const int x0 = std::uniform_int_distribution<int>(0, side - size)(*rng);
      const int y0 = std::uniform_int_distribution<int>(0, side - size)(*rng);
      cv::Mat image(side, side, CV_8UC3, cv::Scalar(20, 20, 20));
      const cv::Scalar colour(40 + 20 * c, 230 - 20 * c, 60 + 17 * (c % 5) * 3);
      cv::rectangle(image, cv::Rect(x0, y0, size, size), colour, cv::FILLED);
      for (int s = 0; s <= c % 4; ++s) {  // Stripes: a second cue of the class.
        const int y = y0 + (s + 1) * size / (c % 4 + 2);
        cv::line(image, {x0, y}, {x0 + size - 1, y}, cv::Scalar(250, 250, 250));
      }
      metadata::ImageRecord record;
      record.image_id = absl::StrCat(name, "/", c, "_", i, ".png");
      record.labels = {c};
      record.width = side;
      record.height = side;
      record.boxes = {{x0, y0, x0 + size - 1, y0 + size - 1}};
      cv::Mat mask = cv::Mat::zeros(side, side, CV_8UC1);
      cv::rectangle(mask, cv::Rect(x0, y0, size, size), cv::Scalar(255), cv::FILLED);
      if (!cv::imwrite(root + "/images/" + record.image_id, image) ||
          !cv::imwrite(root + "/masks/" + record.image_id, mask)) {
        return absl::InternalError(absl::StrCat("cannot write ", root, "/", record.image_id));
      }
      split.images.push_back(std::move(record));
    }
  }
  WSOL_RETURN_IF_ERROR(metadata::WriteSplitMetadata(split, root + "/metadata/" + name));
  split.folder = root + "/metadata/" + name;
  for (metadata::ImageRecord& record : split.images) record.mask_paths = {record.image_id};
  return split;
}

absl::StatusOr<data::Splits> LoadSyntheticSplits(const proto::Dataset& dataset,
                                                 const data::LoadSplitsOptions& options) {
  const proto::FmnistLoc& f = dataset.fmnist_loc();
  const std::string root = Root(dataset, options.cache_dir);
  // Drawn into a folder of its own and renamed, so tests running at once share one.
  const std::string scratch = absl::StrCat(root, ".tmp.", getpid());
  fs::remove_all(scratch);
  std::mt19937 rng(static_cast<uint32_t>(f.seed()));
  data::Splits splits;
  WSOL_ASSIGN_OR_RETURN(splits.train, DrawSplit(f, f.train_per_class(), "train", &rng, scratch));
  WSOL_ASSIGN_OR_RETURN(splits.val.images, DrawSplit(f, f.val_per_class(), "val", &rng, scratch));
  WSOL_ASSIGN_OR_RETURN(splits.test.images,
                        DrawSplit(f, f.test_per_class(), "test", &rng, scratch));
  std::error_code ec;
  fs::rename(scratch, root, ec);
  if (ec) fs::remove_all(scratch);  // Another test drew the same set first.
  for (data::EvalSplit* split : {&splits.val, &splits.test}) {
    split->has_boxes = true;
    split->has_masks = true;
  }
  splits.train.folder = root + "/metadata/train";
  splits.val.images.folder = root + "/metadata/val";
  splits.test.images.folder = root + "/metadata/test";
  splits.image_root = root + "/images";
  splits.mask_root = root + "/masks";
  if (!options.with_val) splits.val = {};
  return splits;
}

}  // namespace

Components TestingComponents() {
  Components components;
  components.build_method =
      [](const proto::Method& method) -> absl::StatusOr<std::shared_ptr<methods::Method>> {
    if (!method.has_cam())
      return absl::InvalidArgumentError("method: the testing table has cam only");
    return std::make_shared<methods::CamMethod>();
  };
  components.validate_method = [](const proto::Method& method) {
    return method.has_cam() ? absl::OkStatus()
                            : absl::InvalidArgumentError("method: the testing table has cam only");
  };
  components.load_splits = &LoadSyntheticSplits;
  return components;
}

std::string SyntheticMetadataRoot(const proto::Dataset& dataset, const std::string& cache_dir) {
  return Root(dataset, cache_dir) + "/metadata";
}

}  // namespace wsol::train::testing
