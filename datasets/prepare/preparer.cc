#include "datasets/prepare/preparer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "datasets/prepare/image_size.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "wsol/util/file_io.h"
#include "wsol/util/parallel_for.h"
#include "wsol/util/status_macros.h"

namespace wsol::datasets {
namespace {

namespace fs = std::filesystem;

std::string JoinPath(const std::string& a, const std::string& b) {
  return (fs::path(a) / b).string();
}

}  // namespace

int PrepareThreads(const PrepareOptions& options) { return ResolveThreads(options.threads); }

absl::Status SkipOrFail(const PrepareOptions& options, const absl::Status& error,
                        std::vector<std::string>* notes) {
  if (!options.skip_bad_images) return error;
  if (notes != nullptr) notes->push_back(absl::StrCat("skipped ", error.message()));
  return absl::OkStatus();
}

void NoteSkipped(const std::vector<absl::Status>& bad, std::vector<std::string>* notes) {
  for (const absl::Status& status : bad) {
    if (!status.ok()) notes->push_back(absl::StrCat("skipped ", status.message()));
  }
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path) { return ReadRegularFile(path); }

absl::Status FillImageSizes(const std::string& image_root, const PrepareOptions& options,
                            std::vector<metadata::ImageRecord>* images,
                            std::vector<std::string>* notes) {
  const int64_t n = static_cast<int64_t>(images->size());
  std::vector<absl::Status> bad(n);
  std::mutex mu;
  int64_t done = 0;
  WSOL_RETURN_IF_ERROR(ParallelFor(n, PrepareThreads(options), [&](int64_t i) -> absl::Status {
    metadata::ImageRecord& r = (*images)[i];
    const std::string path = JoinPath(image_root, r.image_id);
    absl::StatusOr<ImageSize> size = ReadImageSize(path);
    if (size.ok()) {
      r.width = size->width;
      r.height = size->height;
    } else {
      bad[i] = absl::Status(size.status().code(),
                            absl::StrCat("image ", r.image_id, ": ", size.status().message()));
      WSOL_RETURN_IF_ERROR(SkipOrFail(options, bad[i], nullptr));
    }
    if (options.progress) {
      std::lock_guard<std::mutex> lock(mu);
      if (++done % 1000 == 0 || done == n) options.progress("image sizes", done, n);
    }
    return absl::OkStatus();
  }));
  std::vector<metadata::ImageRecord> kept;
  kept.reserve(images->size());
  for (int64_t i = 0; i < n; ++i) {
    if (bad[i].ok()) kept.push_back(std::move((*images)[i]));
  }
  NoteSkipped(bad, notes);
  *images = std::move(kept);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<metadata::ImageRecord>> CarveValidation(
    int per_class, std::vector<metadata::ImageRecord>* train) {
  if (per_class < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--val_per_class=", per_class, ": expected 0 or more"));
  }
  std::map<int, int> before;
  for (const metadata::ImageRecord& r : *train) {
    for (int label : r.labels) ++before[label];
  }
  std::vector<metadata::ImageRecord> val, rest;
  std::map<int, int> count;
  for (metadata::ImageRecord& r : *train) {
    const bool needed = std::any_of(r.labels.begin(), r.labels.end(),
                                    [&](int label) { return count[label] < per_class; });
    if (needed) {
      for (int label : r.labels) ++count[label];
      val.push_back(std::move(r));
    } else {
      rest.push_back(std::move(r));
    }
  }
  std::map<int, int> after;
  for (const metadata::ImageRecord& r : rest) {
    for (int label : r.labels) ++after[label];
  }
  for (const auto& [label, count] : before) {
    if (after[label] == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("class ", label, " has ", count, " training image", count == 1 ? "" : "s",
                       "; taking --val_per_class=", per_class,
                       " for validation would leave none to train on (lower --val_per_class)"));
    }
  }
  *train = std::move(rest);
  return val;
}

absl::StatusOr<metrics::Box> BoxInImage(double x0, double y0, double x1, double y1, int width,
                                        int height) {
  const std::string box = absl::StrFormat("box (%g, %g) - (%g, %g)", x0, y0, x1, y1);
  for (double v : {x0, y0, x1, y1}) {
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(absl::StrCat(box, ": a coordinate is not a number"));
    }
  }
  if (x1 < x0 || y1 < y0) {
    return absl::InvalidArgumentError(absl::StrCat(box, ": inverted (negative width or height)"));
  }
  if (x0 < -kBoxOverhang || y0 < -kBoxOverhang || x1 > width + kBoxOverhang ||
      y1 > height + kBoxOverhang) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: outside the %dx%d image (by more than %g pixels)", box, width, height, kBoxOverhang));
  }
  // In range now, so the conversions are defined.
  auto clamp = [](double v, int size) {
    return std::clamp(static_cast<int>(std::trunc(v)), 0, std::max(0, size - 1));
  };
  return metrics::Box{clamp(x0, width), clamp(y0, height), clamp(x1, width), clamp(y1, height)};
}

absl::Status WriteBinaryMask(const std::vector<uint8_t>& on, int width, int height,
                             const std::string& path) {
  if (on.size() != static_cast<size_t>(width) * height) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": mask has ", on.size(), " pixels, expected ", width, "x", height));
  }
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  cv::Mat mask(height, width, CV_8UC1);
  for (size_t i = 0; i < on.size(); ++i) mask.data[i] = on[i] ? 255 : 0;
  std::vector<uchar> png;
  if (!cv::imencode(fs::path(path).extension().string(), mask, png)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot encode a mask as ", fs::path(path).extension().string()));
  }
  return WriteFileAtomically(
      path, absl::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

absl::StatusOr<metadata::SplitMetadata> ImportWsolSplit(
    const std::string& split, const std::string& image_root, const std::string& mask_root,
    int num_classes, const PrepareOptions& options, std::vector<std::string>* notes) {
  const fs::path folder = fs::path(options.wsol_metadata) / split;
  WSOL_ASSIGN_OR_RETURN(std::vector<NumberedLine> id_lines,
                        ReadTextLines((folder / "image_ids.txt").string()));
  // The sizes their image_sizes.txt lists, if any (OpenImages' file is empty).
  std::map<std::string, std::pair<int, int>> listed;
  if (fs::exists(folder / "image_sizes.txt")) {
    WSOL_ASSIGN_OR_RETURN(std::vector<NumberedLine> lines,
                          ReadTextLines((folder / "image_sizes.txt").string()));
    for (const NumberedLine& line : lines) {
      std::vector<std::string> f = absl::StrSplit(line.text, ',');
      int w = 0, h = 0;
      if (f.size() != 3 || !absl::SimpleAtoi(f[1], &w) || !absl::SimpleAtoi(f[2], &h)) {
        return LineError((folder / "image_sizes.txt").string(), line.number,
                         "expected id,width,height");
      }
      listed[f[0]] = {w, h};
    }
  }
  std::vector<metadata::ImageRecord> images;
  for (const NumberedLine& line : id_lines) {
    metadata::ImageRecord r;
    r.image_id = line.text;
    images.push_back(std::move(r));
  }
  WSOL_RETURN_IF_ERROR(FillImageSizes(image_root, options, &images, notes));
  std::set<std::string> kept;
  std::string ids_text, sizes_text;
  for (const metadata::ImageRecord& r : images) {
    auto it = listed.find(r.image_id);
    if (it != listed.end() && it->second != std::make_pair(r.width, r.height)) {
      absl::Status error = absl::InvalidArgumentError(absl::StrCat(
          (folder / "image_sizes.txt").string(), ": ", r.image_id, " is listed as ",
          it->second.first, "x", it->second.second, " but the image is ", r.width, "x", r.height));
      WSOL_RETURN_IF_ERROR(SkipOrFail(options, error, notes));
      continue;
    }
    kept.insert(r.image_id);
    absl::StrAppend(&ids_text, r.image_id, "\n");
    absl::StrAppend(&sizes_text, r.image_id, ",", r.width, ",", r.height, "\n");
  }
  // A complete copy (sizes read from the images, skipped images left out) goes through
  // the metadata reader, which checks it like any other split.
  const fs::path copy = fs::path(options.out) / ".import" / split;
  std::error_code ec;
  fs::remove_all(copy, ec);
  fs::create_directories(copy, ec);
  auto write = [&copy](const char* name, const std::string& text) {
    std::ofstream out(copy / name, std::ios::trunc);
    out << text;
    return out ? absl::OkStatus()
               : absl::PermissionDeniedError(absl::StrCat("cannot write ", (copy / name).string()));
  };
  WSOL_RETURN_IF_ERROR(write("image_ids.txt", ids_text));
  WSOL_RETURN_IF_ERROR(write("image_sizes.txt", sizes_text));
  for (const char* name : {"class_labels.txt", "localization.txt"}) {
    if (!fs::exists(folder / name)) continue;
    WSOL_ASSIGN_OR_RETURN(std::vector<NumberedLine> lines, ReadTextLines((folder / name).string()));
    std::string text;
    for (const NumberedLine& line : lines) {
      if (kept.count(line.text.substr(0, line.text.find(','))) > 0) {
        absl::StrAppend(&text, line.text, "\n");
      }
    }
    WSOL_RETURN_IF_ERROR(write(name, text));
  }
  metadata::ReadOptions read_options;
  read_options.num_classes = num_classes;
  read_options.require_localization = split != "train";
  absl::StatusOr<metadata::SplitMetadata> metadata =
      metadata::ReadSplitMetadata(copy.string(), read_options);
  fs::remove_all(fs::path(options.out) / ".import", ec);
  if (!metadata.ok()) {
    return absl::Status(metadata.status().code(),
                        absl::StrCat("wsolevaluation metadata ", folder.string(),
                                     " (sizes filled "
                                     "in from the images): ",
                                     metadata.status().message()));
  }
  metadata->folder = folder.string();
  std::vector<metadata::ImageRecord> with_masks;
  for (metadata::ImageRecord& r : metadata->images) {
    bool masks_ok = true;
    for (const std::string& mask : r.mask_paths) {
      if (!fs::exists(JoinPath(mask_root, mask))) {
        absl::Status error = absl::NotFoundError(absl::StrCat(
            "image ", r.image_id, ": mask ", JoinPath(mask_root, mask), " is missing"));
        WSOL_RETURN_IF_ERROR(SkipOrFail(options, error, notes));
        masks_ok = false;
        break;
      }
    }
    if (masks_ok) with_masks.push_back(std::move(r));
  }
  metadata->images = std::move(with_masks);
  return metadata;
}

absl::Status WritePrepared(const std::map<std::string, metadata::SplitMetadata>& splits,
                           const std::vector<std::string>& class_names,
                           const std::string& annotation, bool multi_label,
                           const PrepareOptions& options, PrepareResult* result) {
  for (const auto& [name, split] : splits) {
    WSOL_RETURN_IF_ERROR(
        metadata::WriteSplitMetadata(split, (fs::path(options.out) / "metadata" / name).string()));
    result->split_sizes[name] = static_cast<int64_t>(split.images.size());
  }
  {
    std::ofstream names(fs::path(options.out) / "class_names.txt", std::ios::trunc);
    for (size_t i = 0; i < class_names.size(); ++i) {
      // Classes without a name in the source (absent from a partial copy) get a placeholder.
      names << (class_names[i].empty() ? absl::StrCat("class_", i) : class_names[i]) << "\n";
    }
    if (!names) return absl::PermissionDeniedError("cannot write class_names.txt");
  }
  result->num_classes = static_cast<int>(class_names.size());
  const std::string out = fs::absolute(options.out).lexically_normal().string();
  std::string spec = absl::StrCat("dataset {\n  name: \"", result->dataset, "\"\n  root: \"",
                                  fs::absolute(result->image_root).lexically_normal().string(),
                                  "\"\n  metadata_root: \"", out, "/metadata\"\n");
  if (!result->mask_root.empty()) {
    absl::StrAppend(&spec, "  mask_root: \"",
                    fs::absolute(result->mask_root).lexically_normal().string(), "\"\n");
  }
  absl::StrAppend(&spec, "  num_classes: ", result->num_classes, "\n  annotation: ", annotation,
                  "\n");
  if (multi_label) absl::StrAppend(&spec, "  multi_label: true\n");
  // wsolevaluation's input sizes for the real datasets.
  absl::StrAppend(&spec, "  resize_size: 256\n  crop_size: 224\n  eval_size: 224\n}\n");
  result->dataset_spec = spec;
  return absl::OkStatus();
}

}  // namespace wsol::datasets
