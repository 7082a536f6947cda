#include "datasets/prepare/prepare_voc.h"

#include <array>
#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "datasets/prepare/indexed_png.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "wsol/metadata/metadata.h"
#include "wsol/util/parallel_for.h"
#include "wsol/util/status_macros.h"

namespace wsol::datasets {
namespace {

namespace fs = std::filesystem;

constexpr int kNumClasses = 20;
constexpr uint8_t kVoid = 255;
constexpr const char* kClassNames[kNumClasses] = {
    "aeroplane", "bicycle",     "bird",  "boat",        "bottle", "bus",      "car",
    "cat",       "chair",       "cow",   "diningtable", "dog",    "horse",    "motorbike",
    "person",    "pottedplant", "sheep", "sofa",        "train",  "tvmonitor"};

// Segmentation indices of `path`, from the palette or, for an RGB file, the colour map.
absl::StatusOr<IndexedImage> ReadSegmentation(const std::string& path) {
  absl::StatusOr<IndexedImage> indexed = ReadIndexedPng(path);
  if (indexed.ok() || !absl::IsUnimplemented(indexed.status())) return indexed;
  const cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  if (bgr.empty()) return absl::DataLossError(absl::StrCat(path, ": unreadable"));
  std::map<std::array<uint8_t, 3>, uint8_t> index_of;
  for (int i = 0; i <= kNumClasses; ++i) index_of[VocColor(i)] = static_cast<uint8_t>(i);
  index_of[VocColor(kVoid)] = kVoid;
  IndexedImage image;
  image.width = bgr.cols;
  image.height = bgr.rows;
  image.indices.resize(bgr.total());
  for (int y = 0; y < bgr.rows; ++y) {
    for (int x = 0; x < bgr.cols; ++x) {
      const cv::Vec3b& p = bgr.at<cv::Vec3b>(y, x);
      auto it = index_of.find({p[2], p[1], p[0]});
      if (it == index_of.end()) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": pixel (", x, ",", y,
                                                       ") has colour (", p[2], ",", p[1], ",", p[0],
                                                       "), not in VOC's colour map"));
      }
      image.indices[static_cast<size_t>(y) * bgr.cols + x] = it->second;
    }
  }
  return image;
}

absl::StatusOr<std::vector<std::string>> ReadIdList(const fs::path& path) {
  WSOL_ASSIGN_OR_RETURN(std::vector<NumberedLine> lines, ReadTextLines(path.string()));
  std::vector<std::string> ids;
  for (const NumberedLine& line : lines) ids.push_back(line.text);
  return ids;
}

}  // namespace

std::array<uint8_t, 3> VocColor(int index) {
  // VOC's devkit colour map: the bits of the index are spread over the high bits of R, G, B.
  std::array<uint8_t, 3> rgb = {0, 0, 0};
  for (int shift = 7; shift >= 0 && index > 0; --shift) {
    rgb[0] |= ((index >> 0) & 1) << shift;
    rgb[1] |= ((index >> 1) & 1) << shift;
    rgb[2] |= ((index >> 2) & 1) << shift;
    index >>= 3;
  }
  return rgb;
}

absl::StatusOr<PrepareResult> PrepareVoc(const PrepareOptions& options) {
  fs::path root(options.source);
  if (fs::is_directory(root / "VOC2012")) root /= "VOC2012";
  const fs::path lists = root / "ImageSets" / "Segmentation";
  PrepareResult result;
  result.dataset = "VOC";
  result.image_root = root.string();
  result.mask_root = options.out;
  if (!fs::exists(lists / "train.txt")) {
    return absl::NotFoundError(
        absl::StrCat((lists / "train.txt").string(),
                     " is missing: --source must be VOC2012 (JPEGImages/, "
                     "SegmentationClass/, ImageSets/Segmentation/) or VOCdevkit"));
  }
  WSOL_ASSIGN_OR_RETURN(std::vector<std::string> train_ids, ReadIdList(lists / "train.txt"));
  WSOL_ASSIGN_OR_RETURN(std::vector<std::string> val_ids, ReadIdList(lists / "val.txt"));

  // Labels come from the segmentations of all images; masks are written for val and test.
  struct Item {
    std::string id;
    std::string split;  // Set after carving.
    metadata::ImageRecord record;
  };
  std::vector<Item> items;
  for (const std::string& id : train_ids) items.push_back({id, "train", {}});
  for (const std::string& id : val_ids) items.push_back({id, "test", {}});
  for (Item& item : items) item.record.image_id = absl::StrCat("JPEGImages/", item.id, ".jpg");
  {
    std::vector<metadata::ImageRecord> records;
    for (const Item& item : items) records.push_back(item.record);
    WSOL_RETURN_IF_ERROR(FillImageSizes(root.string(), options, &records, &result.notes));
    std::map<std::string, metadata::ImageRecord> by_id;
    for (metadata::ImageRecord& r : records) by_id[r.image_id] = std::move(r);
    std::vector<Item> kept;
    for (Item& item : items) {
      auto it = by_id.find(item.record.image_id);
      if (it == by_id.end()) continue;  // Unreadable, noted.
      item.record = it->second;
      kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  std::vector<absl::Status> bad(items.size());
  WSOL_RETURN_IF_ERROR(ParallelFor(
      static_cast<int64_t>(items.size()), PrepareThreads(options), [&](int64_t i) -> absl::Status {
        Item& item = items[i];
        const std::string path = (root / "SegmentationClass" / (item.id + ".png")).string();
        absl::StatusOr<IndexedImage> seg = ReadSegmentation(path);
        if (!seg.ok()) {
          bad[i] = absl::Status(seg.status().code(), absl::StrCat("image ", item.record.image_id,
                                                                  ": ", seg.status().message()));
        } else if (seg->width != item.record.width || seg->height != item.record.height) {
          bad[i] = absl::InvalidArgumentError(absl::StrCat(
              "image ", item.record.image_id, " is ", item.record.width, "x", item.record.height,
              " but its segmentation ", path, " is ", seg->width, "x", seg->height));
        } else {
          std::array<bool, kNumClasses + 1> present = {};
          for (uint8_t v : seg->indices) {
            if (v == kVoid) continue;
            if (v > kNumClasses) {
              bad[i] = absl::InvalidArgumentError(
                  absl::StrCat(path, ": class index ", v, " is not 0..20 or 255"));
              break;
            }
            present[v] = true;
          }
          for (int c = 1; c <= kNumClasses; ++c) {
            if (present[c]) item.record.labels.push_back(c - 1);
          }
          if (bad[i].ok() && item.record.labels.empty()) {
            bad[i] = absl::InvalidArgumentError(absl::StrCat(path, ": no object class"));
          }
        }
        return bad[i].ok() ? absl::OkStatus() : SkipOrFail(options, bad[i], nullptr);
      }));

  std::map<std::string, metadata::SplitMetadata> splits;
  std::vector<Item> kept;
  for (size_t i = 0; i < items.size(); ++i) {
    if (bad[i].ok()) kept.push_back(std::move(items[i]));
  }
  NoteSkipped(bad, &result.notes);
  items = std::move(kept);
  {
    std::vector<metadata::ImageRecord> train;
    for (const Item& item : items) {
      if (item.split == "train") train.push_back(item.record);
    }
    std::map<std::string, bool> in_val;
    WSOL_ASSIGN_OR_RETURN(std::vector<metadata::ImageRecord> carved,
                          CarveValidation(options.val_per_class, &train));
    for (const metadata::ImageRecord& r : carved) {
      in_val[r.image_id] = true;
    }
    for (Item& item : items) {
      if (in_val.count(item.record.image_id) > 0) item.split = "val";
    }
    result.notes.push_back(absl::StrCat("val: ", in_val.size(), " images (until every class has ",
                                        options.val_per_class,
                                        ") carved from train.txt; test: the official val.txt"));
  }

  std::atomic<int64_t> masks{0};
  WSOL_RETURN_IF_ERROR(ParallelFor(
      static_cast<int64_t>(items.size()), PrepareThreads(options), [&](int64_t i) -> absl::Status {
        Item& item = items[i];
        if (item.split == "train") return absl::OkStatus();
        metadata::ImageRecord& r = item.record;
        // Read again rather than kept from the first pass: all of VOC's segmentations
        // would take half a gigabyte.
        const std::string path = (root / "SegmentationClass" / (item.id + ".png")).string();
        WSOL_ASSIGN_OR_RETURN(const IndexedImage seg, ReadSegmentation(path));
        const std::string prefix = absl::StrCat("masks/", item.split, "/", item.id);
        std::vector<uint8_t> on(seg.indices.size());
        for (int label : r.labels) {
          for (size_t p = 0; p < on.size(); ++p) on[p] = seg.indices[p] == label + 1;
          r.mask_paths.push_back(absl::StrCat(prefix, "_", kClassNames[label], ".png"));
          WSOL_RETURN_IF_ERROR(WriteBinaryMask(
              on, r.width, r.height, (fs::path(options.out) / r.mask_paths.back()).string()));
        }
        for (size_t p = 0; p < on.size(); ++p) on[p] = seg.indices[p] == kVoid;
        r.ignore_path = prefix + "_ignore.png";
        WSOL_RETURN_IF_ERROR(WriteBinaryMask(on, r.width, r.height,
                                             (fs::path(options.out) / r.ignore_path).string()));
        masks += static_cast<int64_t>(r.labels.size()) + 1;
        return absl::OkStatus();
      }));
  result.masks_written = masks;
  for (const char* split : {"train", "val", "test"}) {
    splits[split].kind = std::string(split) == "train" ? metadata::LocalizationKind::kNone
                                                       : metadata::LocalizationKind::kMasks;
  }
  for (Item& item : items) splits[item.split].images.push_back(std::move(item.record));
  const std::vector<std::string> class_names(std::begin(kClassNames), std::end(kClassNames));
  WSOL_RETURN_IF_ERROR(WritePrepared(splits, class_names, "MASKS", true, options, &result));
  return result;
}

}  // namespace wsol::datasets
