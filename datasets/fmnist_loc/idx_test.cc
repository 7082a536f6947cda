#include "datasets/fmnist_loc/idx.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "wsol/util/status_matchers.h"
#include "wsol/util/test_files.h"

namespace wsol::datasets {
namespace {

using ::testing::ElementsAre;
using testing::FreshTestDir;
using ::testing::HasSubstr;
using testing::IdxBytes;
using testing::WriteGzipFile;
using testing::WriteTestFile;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

TEST(IdxTest, ReadsGzippedAndPlainFiles) {
  const std::string dir = FreshTestDir("idx");
  const std::vector<uint8_t> data = {1, 2, 3, 4, 5, 6, 250, 251, 252, 253, 254, 255};
  WriteGzipFile(dir + "/a.gz", IdxBytes({3, 2, 2}, data));
  WriteTestFile(dir + "/a", IdxBytes({3, 2, 2}, data));
  for (const char* name : {"/a.gz", "/a"}) {
    absl::StatusOr<IdxArray> array = ReadIdx(dir + name);
    ASSERT_THAT(array, IsOk());
    EXPECT_THAT(array->dims, ElementsAre(3, 2, 2));
    EXPECT_EQ(array->data, data);
  }
}

TEST(IdxTest, BadFilesAreErrors) {
  const std::string dir = FreshTestDir("idx_bad");
  EXPECT_THAT(ReadIdx(dir + "/missing.gz"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.gz")));
  WriteGzipFile(dir + "/short.gz", IdxBytes({10}, {1, 2, 3}));
  EXPECT_THAT(ReadIdx(dir + "/short.gz"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("has 3 bytes, the header says 10")));
  std::string floats = IdxBytes({1}, {0, 0, 0, 0});
  floats[2] = 0x0D;  // float32 data.
  WriteGzipFile(dir + "/float.gz", floats);
  EXPECT_THAT(ReadIdx(dir + "/float.gz"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("expected 0x08")));
  WriteGzipFile(dir + "/text.gz", "hello");
  EXPECT_THAT(ReadIdx(dir + "/text.gz"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not an IDX file")));
}

}  // namespace
}  // namespace wsol::datasets
