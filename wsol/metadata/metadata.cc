// metadata.cc: the wsolevaluation metadata reader and writer (see metadata.h).
#include "wsol/metadata/metadata.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "wsol/util/file_io.h"
#include "wsol/util/status_macros.h"
#include "wsol/util/text_lines.h"

namespace wsol::metadata {
namespace {

namespace fs = std::filesystem;

// The lines of a metadata file, numbered as in the file; an optional file may be absent.
absl::StatusOr<std::vector<NumberedLine>> ReadLines(const fs::path& path, bool required) {
  if (!required && !fs::exists(path)) return std::vector<NumberedLine>();
  return ReadTextLines(path.string(), /*strip_spaces=*/false);
}

absl::Status LineError(const fs::path& file, const NumberedLine& line, const std::string& what) {
  return ::wsol::LineError(file.string(), line.number, what);
}

}  // namespace

absl::Status WriteSplitMetadata(const SplitMetadata& split, const std::string& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot create ", folder));
  std::string ids, labels, sizes, localization;
  // Without any size (OpenImages' metadata), image_sizes.txt is written empty.
  const bool has_sizes = std::any_of(split.images.begin(), split.images.end(),
                                     [](const ImageRecord& r) { return r.width != 0; });
  for (const ImageRecord& r : split.images) {
    absl::StrAppend(&ids, r.image_id, "\n");
    for (int label : r.labels) absl::StrAppend(&labels, r.image_id, ",", label, "\n");
    if (has_sizes) absl::StrAppend(&sizes, r.image_id, ",", r.width, ",", r.height, "\n");
    if (split.kind == LocalizationKind::kBoxes) {
      for (const metrics::Box& b : r.boxes) {
        absl::StrAppend(&localization, r.image_id, ",", b.x0, ",", b.y0, ",", b.x1, ",", b.y1,
                        "\n");
      }
    } else if (split.kind == LocalizationKind::kMasks) {
      for (size_t i = 0; i < r.mask_paths.size(); ++i) {
        absl::StrAppend(&localization, r.image_id, ",", r.mask_paths[i], ",",
                        i == 0 ? r.ignore_path : "", "\n");
      }
    }
  }
  const fs::path dir(folder);
  WSOL_RETURN_IF_ERROR(WriteFileAtomically((dir / "image_ids.txt").string(), ids));
  WSOL_RETURN_IF_ERROR(WriteFileAtomically((dir / "class_labels.txt").string(), labels));
  WSOL_RETURN_IF_ERROR(WriteFileAtomically((dir / "image_sizes.txt").string(), sizes));
  return WriteFileAtomically((dir / "localization.txt").string(), localization);
}

absl::StatusOr<SplitMetadata> ReadSplitMetadata(const std::string& folder,
                                                const ReadOptions& options) {
  const fs::path dir(folder);
  SplitMetadata split;
  split.folder = folder;
  auto ids = ReadLines(dir / "image_ids.txt", true);
  if (!ids.ok()) return ids.status();
  if (ids->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat((dir / "image_ids.txt").string(), ": lists no image id (the file is empty)"));
  }
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < ids->size(); ++i) {
    ImageRecord r;
    r.image_id = (*ids)[i].text;
    const auto [it, added] = index.emplace(r.image_id, i);
    if (!added) {
      return LineError(dir / "image_ids.txt", (*ids)[i],
                       absl::StrCat("duplicate id ", r.image_id, " (also on line ",
                                    (*ids)[it->second].number, ")"));
    }
    split.images.push_back(std::move(r));
  }
  auto labels = ReadLines(dir / "class_labels.txt", true);
  if (!labels.ok()) return labels.status();
  for (size_t i = 0; i < labels->size(); ++i) {
    std::vector<std::string> f = absl::StrSplit((*labels)[i].text, ',');
    int label = 0;
    if (f.size() != 2 || !absl::SimpleAtoi(f[1], &label)) {
      return LineError(dir / "class_labels.txt", (*labels)[i], "expected id,label");
    }
    auto it = index.find(f[0]);
    if (it == index.end())
      return LineError(dir / "class_labels.txt", (*labels)[i], "unknown id " + f[0]);
    if (options.num_classes > 0 && (label < 0 || label >= options.num_classes)) {
      return LineError(
          dir / "class_labels.txt", (*labels)[i],
          absl::StrCat("label ", label, " is outside [0, ", options.num_classes,
                       "): wrong label, or the number of classes (", options.num_classes,
                       "; a spec's dataset.num_classes) is too small"));
    }
    std::vector<int>& image_labels = split.images[it->second].labels;
    if (std::find(image_labels.begin(), image_labels.end(), label) != image_labels.end()) {
      return LineError(dir / "class_labels.txt", (*labels)[i],
                       absl::StrCat("image ", f[0], " has label ", label, " twice"));
    }
    image_labels.push_back(label);
  }
  auto sizes = ReadLines(dir / "image_sizes.txt", true);
  if (!sizes.ok()) return sizes.status();
  std::map<size_t, int> size_line;  // Image index -> the line that gave its size.
  for (size_t i = 0; i < sizes->size(); ++i) {
    std::vector<std::string> f = absl::StrSplit((*sizes)[i].text, ',');
    int w = 0, h = 0;
    if (f.size() != 3 || !absl::SimpleAtoi(f[1], &w) || !absl::SimpleAtoi(f[2], &h)) {
      return LineError(dir / "image_sizes.txt", (*sizes)[i], "expected id,width,height");
    }
    auto it = index.find(f[0]);
    if (it == index.end())
      return LineError(dir / "image_sizes.txt", (*sizes)[i], "unknown id " + f[0]);
    if (w <= 0 || h <= 0) {
      return LineError(dir / "image_sizes.txt", (*sizes)[i],
                       absl::StrCat("size ", w, "x", h, ": expected positive width and height"));
    }
    const auto [earlier, first] = size_line.emplace(it->second, (*sizes)[i].number);
    if (!first) {
      return LineError(
          dir / "image_sizes.txt", (*sizes)[i],
          absl::StrCat("second size for image ", f[0], " (first on line ", earlier->second, ")"));
    }
    split.images[it->second].width = w;
    split.images[it->second].height = h;
  }
  // Every id of image_ids.txt must have a label, and a size unless image_sizes.txt is
  // empty (OpenImages ships it so; masks need no size).
  for (const ImageRecord& r : split.images) {
    if (r.labels.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat((dir / "class_labels.txt").string(), ": no label for image ", r.image_id));
    }
    if (r.width == 0 && !sizes->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat((dir / "image_sizes.txt").string(), ": no size for image ", r.image_id));
    }
  }
  auto loc = ReadLines(dir / "localization.txt", options.require_localization);
  if (!loc.ok()) return loc.status();
  for (size_t i = 0; i < loc->size(); ++i) {
    std::vector<std::string> f = absl::StrSplit((*loc)[i].text, ',');
    auto it = index.find(f[0]);
    if (it == index.end())
      return LineError(dir / "localization.txt", (*loc)[i], "unknown id " + f[0]);
    ImageRecord& r = split.images[it->second];
    const LocalizationKind kind =
        f.size() == 5 ? LocalizationKind::kBoxes
                      : (f.size() == 3 ? LocalizationKind::kMasks : LocalizationKind::kNone);
    if (kind != LocalizationKind::kNone && split.kind != LocalizationKind::kNone &&
        kind != split.kind) {
      return LineError(dir / "localization.txt", (*loc)[i], "box and mask lines mixed in one file");
    }
    if (f.size() == 5) {
      split.kind = LocalizationKind::kBoxes;
      if (sizes->empty()) {
        return LineError(dir / "localization.txt", (*loc)[i],
                         "boxes need image sizes, but image_sizes.txt is empty");
      }
      metrics::Box b;
      if (!absl::SimpleAtoi(f[1], &b.x0) || !absl::SimpleAtoi(f[2], &b.y0) ||
          !absl::SimpleAtoi(f[3], &b.x1) || !absl::SimpleAtoi(f[4], &b.y1)) {
        return LineError(dir / "localization.txt", (*loc)[i],
                         "expected id,x0,y0,x1,y1 with integers");
      }
      // x1 == width is allowed: wsolevaluation's CUB boxes are x + w, which can touch it.
      if (b.x0 < 0 || b.y0 < 0 || b.x0 > b.x1 || b.y0 > b.y1 || b.x1 > r.width || b.y1 > r.height) {
        return LineError(
            dir / "localization.txt", (*loc)[i],
            absl::StrCat("box ", b.x0, ",", b.y0, ",", b.x1, ",", b.y1, " is not inside the ",
                         r.width, "x", r.height, " image with x0 <= x1 and y0 <= y1"));
      }
      r.boxes.push_back(b);
    } else if (f.size() == 3) {
      split.kind = LocalizationKind::kMasks;
      if (f[1].empty()) return LineError(dir / "localization.txt", (*loc)[i], "empty mask path");
      r.mask_paths.push_back(f[1]);
      if (r.mask_paths.size() == 1) r.ignore_path = f[2];
    } else {
      return LineError(dir / "localization.txt", (*loc)[i], "expected 5 or 3 fields");
    }
  }
  if (!loc->empty()) {
    for (const ImageRecord& r : split.images) {
      if (r.boxes.empty() && r.mask_paths.empty()) {
        return absl::InvalidArgumentError(absl::StrCat((dir / "localization.txt").string(),
                                                       ": no localization for image ", r.image_id));
      }
    }
  }
  return split;
}

}  // namespace wsol::metadata
