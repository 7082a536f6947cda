// components_testing.h
//
// Components for wsol/train's own tests, so they need nothing above wsol/: a method
// table with CAM alone, and a data source that draws a small synthetic data set (one
// filled shape per canvas; the class sets its colour and stripes) with boxes and masks, from the
// spec's dataset.fmnist_loc sizes and counts (canvas, item sizes, images per class, seed).
// The standard components (tools/components.h) are tested through the binaries.
//
//   options.components = wsol::train::testing::TestingComponents();
#ifndef WSOL_TRAIN_COMPONENTS_TESTING_H_
#define WSOL_TRAIN_COMPONENTS_TESTING_H_

#include <string>

#include "wsol/proto/dataset.pb.h"
#include "wsol/train/components.h"

namespace wsol::train::testing {

Components TestingComponents();

// The folder holding the synthetic set's metadata (train/, val/, test/ in
// wsolevaluation's format) for `dataset` under `cache_dir`.
std::string SyntheticMetadataRoot(const proto::Dataset& dataset, const std::string& cache_dir);

}  // namespace wsol::train::testing

#endif  // WSOL_TRAIN_COMPONENTS_TESTING_H_
