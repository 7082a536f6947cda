#include "datasets/prepare/prepare_cub.h"

#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "wsol/metadata/metadata.h"
#include "wsol/util/status_macros.h"

namespace wsol::datasets {
namespace {

namespace fs = std::filesystem;

constexpr int kNumClasses = 200;

// Reads "<id> <field>..." lines into id -> fields, checking the field count.
absl::StatusOr<std::map<int, std::vector<std::string>>> ReadIdTable(const fs::path& path,
                                                                    size_t fields) {
  WSOL_ASSIGN_OR_RETURN(std::vector<NumberedLine> lines, ReadTextLines(path.string()));
  std::map<int, std::vector<std::string>> table;
  for (const NumberedLine& line : lines) {
    std::vector<std::string> parts = absl::StrSplit(line.text, ' ', absl::SkipEmpty());
    int id = 0;
    if (parts.size() != fields + 1 || !absl::SimpleAtoi(parts[0], &id)) {
      return LineError(path.filename().string(), line.number,
                       absl::StrCat("expected an id and ", fields, " fields"));
    }
    parts.erase(parts.begin());
    if (!table.emplace(id, std::move(parts)).second) {
      return LineError(path.filename().string(), line.number, absl::StrCat("duplicate id ", id));
    }
  }
  return table;
}

// Class names from the first path component of the ids ("001.Black_footed_Albatross").
std::vector<std::string> ClassNamesFromIds(
    const std::map<std::string, metadata::SplitMetadata>& splits) {
  std::vector<std::string> names(kNumClasses);
  for (const auto& [_, split] : splits) {
    for (const metadata::ImageRecord& r : split.images) {
      if (r.labels.empty() || r.labels[0] < 0 || r.labels[0] >= kNumClasses) continue;
      std::string& name = names[r.labels[0]];
      if (name.empty()) name = r.image_id.substr(0, r.image_id.find('/'));
    }
  }
  return names;
}

absl::StatusOr<PrepareResult> PrepareFromWsolMetadata(const PrepareOptions& options,
                                                      PrepareResult result) {
  std::map<std::string, metadata::SplitMetadata> splits;
  for (const char* split : {"train", "val", "test"}) {
    WSOL_ASSIGN_OR_RETURN(splits[split], ImportWsolSplit(split, result.image_root, "", kNumClasses,
                                                         options, &result.notes));
  }
  result.notes.push_back("train/val/test imported from wsolevaluation's metadata");
  WSOL_RETURN_IF_ERROR(
      WritePrepared(splits, ClassNamesFromIds(splits), "BOXES", false, options, &result));
  return result;
}

}  // namespace

absl::StatusOr<PrepareResult> PrepareCub(const PrepareOptions& options) {
  const fs::path source(options.source);
  PrepareResult result;
  result.dataset = "CUB";
  result.image_root =
      fs::is_directory(source / "images") ? (source / "images").string() : source.string();
  if (!options.wsol_metadata.empty()) return PrepareFromWsolMetadata(options, result);
  if (!fs::exists(source / "images.txt")) {
    return absl::NotFoundError(absl::StrCat(
        (source / "images.txt").string(),
        " is missing: --source must be the CUB_200_2011 folder (images.txt, "
        "image_class_labels.txt, train_test_split.txt, bounding_boxes.txt, images/), or "
        "pass wsolevaluation's metadata/CUB with --wsol_metadata"));
  }
  WSOL_ASSIGN_OR_RETURN(auto paths, ReadIdTable(source / "images.txt", 1));
  WSOL_ASSIGN_OR_RETURN(auto labels, ReadIdTable(source / "image_class_labels.txt", 1));
  WSOL_ASSIGN_OR_RETURN(auto is_train, ReadIdTable(source / "train_test_split.txt", 1));
  WSOL_ASSIGN_OR_RETURN(auto boxes, ReadIdTable(source / "bounding_boxes.txt", 4));
  std::vector<std::string> class_names(kNumClasses);
  if (fs::exists(source / "classes.txt")) {
    WSOL_ASSIGN_OR_RETURN(auto classes, ReadIdTable(source / "classes.txt", 1));
    for (const auto& [id, fields] : classes) {
      if (id >= 1 && id <= kNumClasses) class_names[id - 1] = fields[0];
    }
  }

  // Per image id: the CUB id and its x, y, width, height box, applied once the size is known.
  struct Raw {
    int id = 0;
    std::array<double, 4> xywh;
  };
  std::map<std::string, Raw> raw;
  std::vector<metadata::ImageRecord> images;
  for (const auto& [id, path] : paths) {
    metadata::ImageRecord r;
    r.image_id = path[0];
    auto missing = [&](const char* file) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": image ", id, " (", r.image_id, ") is not listed"));
    };
    auto label = labels.find(id);
    if (label == labels.end()) return missing("image_class_labels.txt");
    int cls = 0;
    if (!absl::SimpleAtoi(label->second[0], &cls) || cls < 1 || cls > kNumClasses) {
      return absl::InvalidArgumentError(absl::StrCat("image_class_labels.txt: image ", id,
                                                     " has class '", label->second[0],
                                                     "', expected 1..", kNumClasses));
    }
    r.labels = {cls - 1};
    if (class_names[cls - 1].empty()) {
      class_names[cls - 1] = r.image_id.substr(0, r.image_id.find('/'));
    }
    auto box = boxes.find(id);
    if (box == boxes.end()) return missing("bounding_boxes.txt");
    Raw& entry = raw[r.image_id];
    entry.id = id;
    for (int k = 0; k < 4; ++k) {
      if (!absl::SimpleAtod(box->second[k], &entry.xywh[k])) {
        return absl::InvalidArgumentError(
            absl::StrCat("bounding_boxes.txt: image ", id, ": bad number '", box->second[k], "'"));
      }
    }
    auto split = is_train.find(id);
    if (split == is_train.end()) return missing("train_test_split.txt");
    if (split->second[0] != "0" && split->second[0] != "1") {
      return absl::InvalidArgumentError(absl::StrCat("train_test_split.txt: image ", id, " has '",
                                                     split->second[0],
                                                     "', expected 1 (train) or 0 (test)"));
    }
    images.push_back(std::move(r));
  }
  WSOL_RETURN_IF_ERROR(FillImageSizes(result.image_root, options, &images, &result.notes));

  std::vector<metadata::ImageRecord> train, test;
  for (metadata::ImageRecord& r : images) {
    const Raw& entry = raw[r.image_id];
    const std::array<double, 4>& b = entry.xywh;
    absl::StatusOr<metrics::Box> box =
        BoxInImage(b[0], b[1], b[0] + b[2], b[1] + b[3], r.width, r.height);
    if (!box.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bounding_boxes.txt: image ", entry.id, " (", r.image_id, ", x y width height ", b[0],
          " ", b[1], " ", b[2], " ", b[3], "): ", box.status().message()));
    }
    r.boxes = {*box};
    (is_train[entry.id][0] == "1" ? train : test).push_back(std::move(r));
  }
  std::map<std::string, metadata::SplitMetadata> splits;
  WSOL_ASSIGN_OR_RETURN(splits["val"].images, CarveValidation(options.val_per_class, &train));
  splits["train"].images = std::move(train);
  splits["test"].images = std::move(test);
  for (auto& [_, split] : splits) split.kind = metadata::LocalizationKind::kBoxes;
  result.notes.push_back(
      absl::StrCat("val: ", splits["val"].images.size(), " images (", options.val_per_class,
                   " per class) carved from the official training split; pass wsolevaluation's "
                   "metadata/CUB as --wsol_metadata for their CUBV2 validation split"));
  WSOL_RETURN_IF_ERROR(WritePrepared(splits, class_names, "BOXES", false, options, &result));
  return result;
}

}  // namespace wsol::datasets
