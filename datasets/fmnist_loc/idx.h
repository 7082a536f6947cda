// idx.h
//
// Reader of the IDX format of MNIST and Fashion-MNIST (LeCun et al.): a 4-byte magic
// (0, 0, type, number of dimensions), big-endian 32-bit dimension sizes, then the data.
// Only unsigned-byte data (type 0x08) is supported; gzip-compressed files are read
// through zlib (plain files too: zlib passes them through).
//
//   absl::StatusOr<wsol::datasets::IdxArray> images =
//       wsol::datasets::ReadIdx("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
//   // images->dims == {60000, 28, 28}
#ifndef DATASETS_FMNIST_LOC_IDX_H_
#define DATASETS_FMNIST_LOC_IDX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace wsol::datasets {

struct IdxArray {
  std::vector<int> dims;
  std::vector<uint8_t> data;  // Row-major, product(dims) bytes.
};

// ReadIdx reads `path`. NotFound when missing, DataLoss when the header is wrong or the
// data is shorter than the header says.
absl::StatusOr<IdxArray> ReadIdx(const std::string& path);

}  // namespace wsol::datasets

#endif  // DATASETS_FMNIST_LOC_IDX_H_
