#include "datasets/prepare/prepare_oxford_pet.h"

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "datasets/prepare/indexed_png.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "wsol/metadata/metadata.h"
#include "wsol/util/parallel_for.h"
#include "wsol/util/status_macros.h"

namespace wsol::datasets {
namespace {

namespace fs = std::filesystem;

constexpr int kNumClasses = 37;
constexpr uint8_t kForeground = 1;
constexpr uint8_t kBoundary = 3;

// One line of trainval.txt / test.txt.
struct ListEntry {
  std::string name;
  int label = 0;
};

absl::StatusOr<std::vector<ListEntry>> ReadList(const fs::path& path,
                                                std::vector<std::string>* class_names) {
  WSOL_ASSIGN_OR_RETURN(std::vector<NumberedLine> lines, ReadTextLines(path.string()));
  std::vector<ListEntry> entries;
  for (const NumberedLine& line : lines) {
    if (line.text[0] == '#') continue;
    std::vector<std::string> parts = absl::StrSplit(line.text, ' ', absl::SkipEmpty());
    ListEntry e;
    if (parts.size() < 2 || !absl::SimpleAtoi(parts[1], &e.label) || e.label < 1 ||
        e.label > kNumClasses) {
      return LineError(path.filename().string(), line.number,
                       absl::StrCat("expected '<image> <class 1..", kNumClasses, "> ...'"));
    }
    e.name = parts[0];
    e.label -= 1;
    std::string& class_name = (*class_names)[e.label];
    if (class_name.empty()) class_name = e.name.substr(0, e.name.rfind('_'));
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace

absl::StatusOr<PrepareResult> PrepareOxfordPet(const PrepareOptions& options) {
  const fs::path source(options.source);
  const fs::path annotations = source / "annotations";
  PrepareResult result;
  result.dataset = "Oxford";
  result.image_root = source.string();
  result.mask_root = options.out;
  if (!fs::exists(annotations / "trainval.txt")) {
    return absl::NotFoundError(absl::StrCat(
        (annotations / "trainval.txt").string(),
        " is missing: --source must hold images/ and annotations/ of Oxford-IIIT Pet"));
  }
  std::vector<std::string> class_names(kNumClasses);
  WSOL_ASSIGN_OR_RETURN(std::vector<ListEntry> trainval,
                        ReadList(annotations / "trainval.txt", &class_names));
  WSOL_ASSIGN_OR_RETURN(std::vector<ListEntry> test_list,
                        ReadList(annotations / "test.txt", &class_names));
  for (int c = 0; c < kNumClasses; ++c) {
    if (class_names[c].empty()) class_names[c] = absl::StrCat("class_", c + 1);
  }

  auto records = [](const std::vector<ListEntry>& list) {
    std::vector<metadata::ImageRecord> out;
    for (const ListEntry& e : list) {
      metadata::ImageRecord r;
      r.image_id = absl::StrCat("images/", e.name, ".jpg");
      r.labels = {e.label};
      out.push_back(std::move(r));
    }
    return out;
  };
  std::map<std::string, metadata::SplitMetadata> splits;
  std::vector<metadata::ImageRecord> train = records(trainval);
  WSOL_ASSIGN_OR_RETURN(splits["val"].images, CarveValidation(options.val_per_class, &train));
  splits["train"].images = std::move(train);
  splits["test"].images = records(test_list);
  result.notes.push_back(absl::StrCat("val: ", splits["val"].images.size(), " images (",
                                      options.val_per_class,
                                      " per class) carved from trainval.txt"));

  std::atomic<int64_t> masks{0};
  for (auto& [name, split] : splits) {
    WSOL_RETURN_IF_ERROR(FillImageSizes(result.image_root, options, &split.images, &result.notes));
    if (name == "train") continue;
    split.kind = metadata::LocalizationKind::kMasks;
    const std::string split_name = name;
    std::vector<absl::Status> bad(split.images.size());
    WSOL_RETURN_IF_ERROR(ParallelFor(
        static_cast<int64_t>(split.images.size()), PrepareThreads(options),
        [&](int64_t i) -> absl::Status {
          metadata::ImageRecord& r = split.images[i];
          const std::string stem = fs::path(r.image_id).stem().string();
          const fs::path trimap_path = annotations / "trimaps" / (stem + ".png");
          // Trimaps are 8-bit grayscale (or palette) PNGs whose raw values are 1, 2, 3.
          cv::Mat trimap;
          absl::StatusOr<IndexedImage> indexed = ReadIndexedPng(trimap_path.string());
          if (indexed.ok()) {
            trimap =
                cv::Mat(indexed->height, indexed->width, CV_8UC1, indexed->indices.data()).clone();
          } else if (absl::IsUnimplemented(indexed.status())) {
            trimap = cv::imread(trimap_path.string(), cv::IMREAD_GRAYSCALE);
          }
          if (trimap.empty()) {
            bad[i] = absl::NotFoundError(absl::StrCat("image ", r.image_id, ": trimap ",
                                                      trimap_path.string(), " is unreadable"));
          } else if (trimap.cols != r.width || trimap.rows != r.height) {
            bad[i] = absl::InvalidArgumentError(absl::StrCat(
                "image ", r.image_id, " is ", r.width, "x", r.height, " but its trimap ",
                trimap_path.string(), " is ", trimap.cols, "x", trimap.rows));
          }
          if (!bad[i].ok()) return SkipOrFail(options, bad[i], nullptr);
          std::vector<uint8_t> fg(trimap.total()), ignore(trimap.total());
          const cv::Mat continuous = trimap.isContinuous() ? trimap : trimap.clone();
          for (size_t p = 0; p < continuous.total(); ++p) {
            fg[p] = continuous.data[p] == kForeground;
            ignore[p] = continuous.data[p] == kBoundary;
          }
          r.mask_paths = {absl::StrCat("masks/", split_name, "/", stem, ".png")};
          r.ignore_path = absl::StrCat("masks/", split_name, "/", stem, "_ignore.png");
          WSOL_RETURN_IF_ERROR(WriteBinaryMask(fg, r.width, r.height,
                                               (fs::path(options.out) / r.mask_paths[0]).string()));
          WSOL_RETURN_IF_ERROR(WriteBinaryMask(ignore, r.width, r.height,
                                               (fs::path(options.out) / r.ignore_path).string()));
          masks += 2;
          return absl::OkStatus();
        }));
    std::vector<metadata::ImageRecord> kept;
    for (size_t i = 0; i < split.images.size(); ++i) {
      if (bad[i].ok()) kept.push_back(std::move(split.images[i]));
    }
    NoteSkipped(bad, &result.notes);
    split.images = std::move(kept);
  }
  result.masks_written = masks;
  WSOL_RETURN_IF_ERROR(WritePrepared(splits, class_names, "MASKS", false, options, &result));
  return result;
}

}  // namespace wsol::datasets
