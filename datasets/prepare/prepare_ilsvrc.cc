#include "datasets/prepare/prepare_ilsvrc.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "wsol/metadata/metadata.h"
#include "wsol/util/parallel_for.h"
#include "wsol/util/status_macros.h"

namespace wsol::datasets {
namespace {

namespace fs = std::filesystem;

// Text between <tag> and </tag> at or after `from`; npos-terminated search.
bool FindElement(const std::string& xml, const std::string& tag, size_t from, size_t limit,
                 std::string* content, size_t* end) {
  const std::string open = "<" + tag + ">", close = "</" + tag + ">";
  const size_t start = xml.find(open, from);
  if (start == std::string::npos || start >= limit) return false;
  const size_t stop = xml.find(close, start);
  if (stop == std::string::npos || stop > limit) return false;
  *content = xml.substr(start + open.size(), stop - start - open.size());
  if (end != nullptr) *end = stop + close.size();
  return true;
}

bool NumberElement(const std::string& xml, const std::string& tag, double* value) {
  std::string text;
  return FindElement(xml, tag, 0, xml.size(), &text, nullptr) &&
         absl::SimpleAtod(absl::StripAsciiWhitespace(text), value);
}

bool IsImageFile(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".jpeg" || ext == ".jpg" || ext == ".png";
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

absl::StatusOr<XmlAnnotation> ParseAnnotationXml(const std::string& xml,
                                                 const std::string& source_name) {
  XmlAnnotation annotation;
  std::string size;
  double width = 0, height = 0;
  if (!FindElement(xml, "size", 0, xml.size(), &size, nullptr) ||
      !NumberElement(size, "width", &width) || !NumberElement(size, "height", &height)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ": no <size> with <width> and <height>"));
  }
  annotation.width = static_cast<int>(width);
  annotation.height = static_cast<int>(height);
  size_t pos = 0;
  std::string object;
  while (FindElement(xml, "object", pos, xml.size(), &object, &pos)) {
    XmlObject o;
    std::string name, box;
    if (!FindElement(object, "name", 0, object.size(), &name, nullptr) ||
        !FindElement(object, "bndbox", 0, object.size(), &box, nullptr) ||
        !NumberElement(box, "xmin", &o.xmin) || !NumberElement(box, "ymin", &o.ymin) ||
        !NumberElement(box, "xmax", &o.xmax) || !NumberElement(box, "ymax", &o.ymax)) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_name, ": object ", annotation.objects.size() + 1,
                       " lacks <name> or <bndbox> with xmin, ymin, xmax, ymax"));
    }
    o.name = std::string(absl::StripAsciiWhitespace(name));
    annotation.objects.push_back(o);
  }
  return annotation;
}

absl::StatusOr<PrepareResult> PrepareIlsvrc(const PrepareOptions& options) {
  const fs::path source(options.source);
  PrepareResult result;
  result.dataset = "ILSVRC";
  result.image_root = source.string();
  if (!fs::is_directory(source / "val")) {
    return absl::NotFoundError(absl::StrCat((source / "val").string(),
                                            " is missing: --source must be the ILSVRC folder "
                                            "(train/<wnid>/, val/, Annotations/CLS-LOC/val/)"));
  }

  // Validation images and the path of each one's XML.
  struct ValImage {
    std::string file;
    fs::path xml;
  };
  std::vector<ValImage> val_images;
  for (const std::string& file : SortedEntries(source / "val", false)) {
    if (!IsImageFile(file)) continue;
    const std::string stem = fs::path(file).stem().string();
    fs::path xml = source / "Annotations" / "CLS-LOC" / "val" / (stem + ".xml");
    if (!fs::exists(xml)) xml = source / "val" / (stem + ".xml");
    val_images.push_back({file, xml});
  }
  std::vector<XmlAnnotation> annotations(val_images.size());
  std::vector<absl::Status> bad(val_images.size());
  std::mutex mu;
  int64_t done = 0;
  WSOL_RETURN_IF_ERROR(ParallelFor(
      static_cast<int64_t>(val_images.size()), PrepareThreads(options),
      [&](int64_t i) -> absl::Status {
        absl::StatusOr<std::string> text = ReadTextFile(val_images[i].xml.string());
        absl::StatusOr<XmlAnnotation> parsed =
            text.ok() ? ParseAnnotationXml(*text, val_images[i].xml.string())
                      : absl::StatusOr<XmlAnnotation>(absl::NotFoundError(
                            absl::StrCat("image val/", val_images[i].file, ": no annotation XML (",
                                         val_images[i].xml.string(), ")")));
        if (parsed.ok() && parsed->objects.empty()) {
          parsed =
              absl::InvalidArgumentError(absl::StrCat(val_images[i].xml.string(), ": no <object>"));
        }
        if (!parsed.ok()) {
          bad[i] = parsed.status();
          WSOL_RETURN_IF_ERROR(SkipOrFail(options, bad[i], nullptr));
        } else {
          annotations[i] = *std::move(parsed);
        }
        if (options.progress) {
          std::lock_guard<std::mutex> lock(mu);
          if (++done % 1000 == 0) options.progress("val annotations", done, val_images.size());
        }
        return absl::OkStatus();
      }));

  // Class index mapping.
  std::vector<std::string> wnids;
  if (fs::exists(source / "LOC_synset_mapping.txt")) {
    WSOL_ASSIGN_OR_RETURN(std::vector<NumberedLine> lines,
                          ReadTextLines((source / "LOC_synset_mapping.txt").string()));
    for (const NumberedLine& line : lines) {
      wnids.push_back(line.text.substr(0, line.text.find(' ')));
    }
    result.notes.push_back("class index: LOC_synset_mapping.txt line order");
  } else if (fs::is_directory(source / "train")) {
    wnids = SortedEntries(source / "train", true);
    result.notes.push_back("class index: sorted train/ folder names");
  } else {
    std::set<std::string> names;
    for (const XmlAnnotation& a : annotations) {
      for (const XmlObject& o : a.objects) names.insert(o.name);
    }
    wnids.assign(names.begin(), names.end());
    result.notes.push_back("class index: sorted wnids of the validation XML files");
  }
  std::map<std::string, int> label_of;
  for (size_t i = 0; i < wnids.size(); ++i) label_of[wnids[i]] = static_cast<int>(i);

  std::map<std::string, metadata::SplitMetadata> splits;
  metadata::SplitMetadata& test = splits["test"];
  test.kind = metadata::LocalizationKind::kBoxes;
  NoteSkipped(bad, &result.notes);
  for (size_t i = 0; i < val_images.size(); ++i) {
    if (!bad[i].ok()) continue;
    metadata::ImageRecord r;
    r.image_id = "val/" + val_images[i].file;
    const XmlAnnotation& a = annotations[i];
    auto label = label_of.find(a.objects[0].name);
    absl::Status error;
    if (label == label_of.end()) {
      error = absl::InvalidArgumentError(
          absl::StrCat(val_images[i].xml.string(), ": unknown class '", a.objects[0].name, "'"));
    } else {
      r.labels = {label->second};
      for (const XmlObject& o : a.objects) {
        if (o.name != a.objects[0].name) {
          error = absl::InvalidArgumentError(absl::StrCat(val_images[i].xml.string(),
                                                          ": objects of two classes (",
                                                          a.objects[0].name, ", ", o.name, ")"));
        }
        absl::StatusOr<metrics::Box> box =
            BoxInImage(o.xmin, o.ymin, o.xmax, o.ymax, a.width, a.height);
        if (!box.ok()) {
          error = absl::InvalidArgumentError(
              absl::StrCat(val_images[i].xml.string(), ": ", box.status().message()));
          break;
        }
        r.boxes.push_back(*box);
      }
    }
    if (!error.ok()) {
      WSOL_RETURN_IF_ERROR(SkipOrFail(options, error, &result.notes));
      continue;
    }
    r.width = a.width;
    r.height = a.height;
    test.images.push_back(std::move(r));
  }
  // The XML states the size; the image header must agree, and must exist.
  {
    std::vector<metadata::ImageRecord> checked = test.images;
    WSOL_RETURN_IF_ERROR(FillImageSizes(result.image_root, options, &checked, &result.notes));
    std::map<std::string, const metadata::ImageRecord*> by_id;
    for (const metadata::ImageRecord& r : checked) by_id[r.image_id] = &r;
    std::vector<metadata::ImageRecord> kept;
    for (metadata::ImageRecord& r : test.images) {
      auto it = by_id.find(r.image_id);
      if (it == by_id.end()) continue;  // Unreadable, noted.
      if (it->second->width != r.width || it->second->height != r.height) {
        absl::Status error = absl::InvalidArgumentError(
            absl::StrCat("image ", r.image_id, ": the XML says ", r.width, "x", r.height,
                         " but the image is ", it->second->width, "x", it->second->height));
        WSOL_RETURN_IF_ERROR(SkipOrFail(options, error, &result.notes));
        continue;
      }
      kept.push_back(std::move(r));
    }
    test.images = std::move(kept);
  }

  if (fs::is_directory(source / "train")) {
    metadata::SplitMetadata& train = splits["train"];
    for (const std::string& wnid : SortedEntries(source / "train", true)) {
      auto label = label_of.find(wnid);
      if (label == label_of.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("train/", wnid, ": not a class of LOC_synset_mapping.txt"));
      }
      for (const std::string& file : SortedEntries(source / "train" / wnid, false)) {
        if (!IsImageFile(file)) continue;
        metadata::ImageRecord r;
        r.image_id = absl::StrCat("train/", wnid, "/", file);
        r.labels = {label->second};
        train.images.push_back(std::move(r));
      }
    }
    WSOL_RETURN_IF_ERROR(FillImageSizes(result.image_root, options, &train.images, &result.notes));
  } else {
    result.notes.push_back("no train/ folder: no train split written");
  }
  if (!options.wsol_metadata.empty()) {
    WSOL_ASSIGN_OR_RETURN(
        splits["val"], ImportWsolSplit("val", result.image_root, "", static_cast<int>(wnids.size()),
                                       options, &result.notes));
    result.notes.push_back("val: wsolevaluation's ImageNetV2 split, imported");
  } else {
    result.notes.push_back(
        "no val split: pass wsolevaluation's metadata/ILSVRC as --wsol_metadata (ImageNetV2 "
        "images in <source>/val2/) for the validation split of their protocol");
  }
  WSOL_RETURN_IF_ERROR(WritePrepared(splits, wnids, "BOXES", false, options, &result));
  return result;
}

}  // namespace wsol::datasets
