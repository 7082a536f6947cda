// prepare_ilsvrc.h
//
// ILSVRC 2012 (ImageNet), 1000 classes; boxes on the validation images, which are the
// test split of wsolevaluation's protocol.
//
// Layout (`source` = the ILSVRC folder):
//   train/<wnid>/<image>.JPEG                        training images (optional)
//   val/ILSVRC2012_val_<n>.JPEG                      the 50,000 validation images
//   Annotations/CLS-LOC/val/ILSVRC2012_val_<n>.xml   their boxes (PASCAL-style XML, one
//                                                    <object> per box); the XML may also
//                                                    sit beside the image in val/
//   LOC_synset_mapping.txt                           optional "<wnid> <words>" lines;
//                                                    line order is the class index
// Without LOC_synset_mapping.txt the class index is the sorted order of the wnids (the
// train/ folder names, else those in the XML files), the usual torchvision ImageFolder
// numbering, which that file also follows.
// Boxes are the XML's xmin, ymin, xmax, ymax, clamped to the image.
// The validation split for model selection is wsolevaluation's ImageNetV2 subset: pass
// their metadata/ILSVRC as PrepareOptions::wsol_metadata (with ImageNetV2's images in
// <source>/val2/) and it is imported; otherwise no val split is written and a note says so.
#ifndef DATASETS_PREPARE_PREPARE_ILSVRC_H_
#define DATASETS_PREPARE_PREPARE_ILSVRC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "datasets/prepare/preparer.h"
#include "wsol/metrics/box.h"

namespace wsol::datasets {

absl::StatusOr<PrepareResult> PrepareIlsvrc(const PrepareOptions& options);

// One <object> of an ILSVRC/PASCAL annotation XML.
struct XmlObject {
  std::string name;
  double xmin = 0, ymin = 0, xmax = 0, ymax = 0;
};

struct XmlAnnotation {
  int width = 0;
  int height = 0;
  std::vector<XmlObject> objects;
};

// ParseAnnotationXml reads the <size> and <object> elements of a PASCAL-style
// annotation; `source_name` prefixes errors.
absl::StatusOr<XmlAnnotation> ParseAnnotationXml(const std::string& xml,
                                                 const std::string& source_name);

}  // namespace wsol::datasets

#endif  // DATASETS_PREPARE_PREPARE_ILSVRC_H_
