#include "datasets/prepare/prepare_openimages.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "datasets/prepare/image_size.h"
#include "wsol/metadata/metadata.h"
#include "wsol/util/parallel_for.h"
#include "wsol/util/status_macros.h"

namespace wsol::datasets {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSplits[] = {"train", "val", "test"};

bool IsImageFile(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".jpg" || ext == ".jpeg";
}

std::vector<std::string> SortedEntries(const fs::path& folder, bool directories) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(folder, ec)) {
    if (e.is_directory() == directories) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

absl::StatusOr<PrepareResult> PrepareOpenImages(const PrepareOptions& options) {
  const fs::path source(options.source);
  PrepareResult result;
  result.dataset = "OpenImages";
  result.image_root = source.string();
  result.mask_root = source.string();

  std::set<std::string> class_set;
  for (const char* split : kSplits) {
    for (const std::string& name : SortedEntries(source / split, true)) class_set.insert(name);
  }
  if (class_set.empty()) {
    return absl::NotFoundError(
        absl::StrCat(options.source,
                     " holds no train/<class>/, val/<class>/ or test/<class>/ folders: "
                     "--source must be wsolevaluation's OpenImages folder"));
  }
  const std::vector<std::string> class_names(class_set.begin(), class_set.end());
  std::map<std::string, int> label_of;
  for (size_t i = 0; i < class_names.size(); ++i) label_of[class_names[i]] = static_cast<int>(i);

  std::map<std::string, metadata::SplitMetadata> splits;
  for (const char* split : kSplits) {
    if (!options.wsol_metadata.empty()) {
      WSOL_ASSIGN_OR_RETURN(
          splits[split],
          ImportWsolSplit(split, result.image_root, result.mask_root,
                          static_cast<int>(class_names.size()), options, &result.notes));
      if (std::string(split) == "train") splits[split].kind = metadata::LocalizationKind::kNone;
      continue;
    }
    if (!fs::is_directory(source / split)) continue;
    metadata::SplitMetadata& metadata = splits[split];
    const bool with_masks = std::string(split) != "train";
    metadata.kind =
        with_masks ? metadata::LocalizationKind::kMasks : metadata::LocalizationKind::kNone;
    for (const std::string& cls : SortedEntries(source / split, true)) {
      const fs::path folder = source / split / cls;
      const std::vector<std::string> files = SortedEntries(folder, false);
      for (const std::string& file : files) {
        if (!IsImageFile(file)) continue;
        metadata::ImageRecord r;
        const std::string stem = fs::path(file).stem().string();
        r.image_id = absl::StrCat(split, "/", cls, "/", file);
        r.labels = {label_of[cls]};
        if (with_masks) {
          const std::string mask_prefix = absl::StrCat(stem, "_m");
          for (const std::string& other : files) {
            if (absl::StartsWith(other, mask_prefix) && absl::EndsWith(other, ".png")) {
              r.mask_paths.push_back(absl::StrCat(split, "/", cls, "/", other));
            }
          }
          const std::string ignore = absl::StrCat(stem, "_ignore.png");
          if (std::binary_search(files.begin(), files.end(), ignore)) {
            r.ignore_path = absl::StrCat(split, "/", cls, "/", ignore);
          }
          if (r.mask_paths.empty()) {
            absl::Status error = absl::NotFoundError(
                absl::StrCat("image ", r.image_id, ": no mask file ", mask_prefix,
                             "<class>_<hash>.png in ", folder.string()));
            WSOL_RETURN_IF_ERROR(SkipOrFail(options, error, &result.notes));
            continue;
          }
        }
        metadata.images.push_back(std::move(r));
      }
    }
    WSOL_RETURN_IF_ERROR(
        FillImageSizes(result.image_root, options, &metadata.images, &result.notes));
  }
  for (const char* split : {"val", "test"}) {
    if (splits.count(split) == 0 || splits[split].images.empty()) {
      return absl::NotFoundError(
          absl::StrCat("OpenImages: no images with masks found for the ", split, " split"));
    }
  }
  // wsolevaluation resizes every mask to the evaluation size, so a mask of another size
  // than its image still scores; but say so rather than let it pass silently.
  for (const char* split : {"val", "test"}) {
    const std::vector<metadata::ImageRecord>& images = splits[split].images;
    std::atomic<int64_t> differing{0};
    WSOL_RETURN_IF_ERROR(ParallelFor(
        static_cast<int64_t>(images.size()), PrepareThreads(options),
        [&](int64_t i) -> absl::Status {
          const metadata::ImageRecord& r = images[i];
          for (const std::string& mask : r.mask_paths) {
            absl::StatusOr<ImageSize> size =
                ReadImageSize((fs::path(result.mask_root) / mask).string());
            if (!size.ok()) {
              return absl::Status(size.status().code(), absl::StrCat("image ", r.image_id, ": ",
                                                                     size.status().message()));
            }
            if (size->width != r.width || size->height != r.height) ++differing;
          }
          return absl::OkStatus();
        }));
    if (differing > 0) {
      result.notes.push_back(
          absl::StrCat(split, ": ", differing.load(),
                       " masks differ in size from their image (they are "
                       "resized to the evaluation size, as wsolevaluation does)"));
    }
  }
  WSOL_RETURN_IF_ERROR(WritePrepared(splits, class_names, "MASKS", false, options, &result));
  return result;
}

}  // namespace wsol::datasets
