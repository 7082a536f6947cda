#include "wsol/metadata/metadata.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wsol/util/status_matchers.h"

namespace wsol::metadata {
namespace {

using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

// Writes a split folder from file name -> content.
std::string WriteSplit(const std::string& name, const std::map<std::string, std::string>& files) {
  const std::string dir = ::testing::TempDir() + "/" + name;
  std::filesystem::create_directories(dir);
  for (const auto& [file, text] : files) std::ofstream(dir + "/" + file) << text;
  return dir;
}

std::map<std::string, std::string> GoodBoxes() {
  return {{"image_ids.txt", "a.jpg\nb.jpg\n"},
          {"class_labels.txt", "a.jpg,0\nb.jpg,2\n"},
          {"image_sizes.txt", "a.jpg,100,80\nb.jpg,50,40\n"},
          {"localization.txt", "a.jpg,1,2,30,40\na.jpg,5,5,99,79\nb.jpg,0,0,49,39\n"}};
}

TEST(MetadataTest, ReadsBoxesInIdOrderWithSeveralBoxesPerImage) {
  absl::StatusOr<SplitMetadata> split =
      ReadSplitMetadata(WriteSplit("good", GoodBoxes()), {.num_classes = 3});
  ASSERT_THAT(split, IsOk());
  EXPECT_EQ(split->kind, LocalizationKind::kBoxes);
  ASSERT_EQ(split->images.size(), 2u);
  EXPECT_EQ(split->images[0].image_id, "a.jpg");
  EXPECT_EQ(split->images[0].width, 100);
  ASSERT_EQ(split->images[0].boxes.size(), 2u);
  EXPECT_EQ(split->images[0].boxes[1], (metrics::Box{5, 5, 99, 79}));
  EXPECT_EQ(split->images[1].labels, std::vector<int>{2});
}

TEST(MetadataTest, ReadsMasksWithTheIgnorePathOnTheFirstLine) {
  auto files = GoodBoxes();
  files["localization.txt"] = "a.jpg,m/a1.png,m/a_ignore.png\na.jpg,m/a2.png,\nb.jpg,m/b.png,\n";
  absl::StatusOr<SplitMetadata> split = ReadSplitMetadata(WriteSplit("masks", files));
  ASSERT_THAT(split, IsOk());
  EXPECT_EQ(split->kind, LocalizationKind::kMasks);
  EXPECT_EQ(split->images[0].mask_paths, (std::vector<std::string>{"m/a1.png", "m/a2.png"}));
  EXPECT_EQ(split->images[0].ignore_path, "m/a_ignore.png");
  EXPECT_EQ(split->images[1].ignore_path, "");
}

// OpenImages' metadata has an empty image_sizes.txt: masks need no size.
TEST(MetadataTest, MasksAcceptAnEmptyImageSizesFileAndRoundTripIt) {
  auto files = GoodBoxes();
  files["image_sizes.txt"] = "";
  files["localization.txt"] = "a.jpg,m/a1.png,m/a_ignore.png\nb.jpg,m/b.png,\n";
  absl::StatusOr<SplitMetadata> split = ReadSplitMetadata(WriteSplit("no_sizes", files));
  ASSERT_THAT(split, IsOk());
  EXPECT_EQ(split->images[0].width, 0);
  const std::string out = ::testing::TempDir() + "/no_sizes_out";
  ASSERT_THAT(WriteSplitMetadata(*split, out), IsOk());
  EXPECT_EQ(std::filesystem::file_size(out + "/image_sizes.txt"), 0u);
  EXPECT_THAT(ReadSplitMetadata(out), IsOk());
}

TEST(MetadataTest, ErrorsNameFileLineAndWhatWasExpected) {
  struct Case {
    const char* file;
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"class_labels.txt", "a.jpg,0\nb.jpg\n", "class_labels.txt:2: expected id,label"},
      // Blank lines are skipped but counted: the number is the one an editor shows.
      {"class_labels.txt", "a.jpg,0\r\n\n  \nb.jpg\n", "class_labels.txt:4: expected id,label"},
      {"class_labels.txt", "a.jpg,0\nb.jpg,7\n",
       "class_labels.txt:2: label 7 is outside [0, 3): wrong label, or the number of classes"},
      {"class_labels.txt", "a.jpg,0\nb.jpg,2\na.jpg,0\n",
       "class_labels.txt:3: image a.jpg has label 0 twice"},
      // One id with two sizes: an error naming both lines, never the last one kept.
      {"image_sizes.txt", "a.jpg,100,80\nb.jpg,50,40\na.jpg,60,80\n",
       "image_sizes.txt:3: second size for image a.jpg (first on line 1)"},
      {"image_ids.txt", "a.jpg\nb.jpg\na.jpg\n",
       "image_ids.txt:3: duplicate id a.jpg (also on line 1)"},
      // Empty, or only a byte-order mark: the file named is image_ids.txt itself.
      {"image_ids.txt", "", "image_ids.txt: lists no image id"},
      {"image_ids.txt", "\xEF\xBB\xBF\n", "image_ids.txt: lists no image id"},
      {"class_labels.txt", "a.jpg,0\nc.jpg,1\n", "class_labels.txt:2: unknown id c.jpg"},
      {"class_labels.txt", "a.jpg,0\n", "class_labels.txt: no label for image b.jpg"},
      {"image_sizes.txt", "a.jpg,100,80\nb.jpg,0,40\n", "image_sizes.txt:2: size 0x40"},
      {"image_sizes.txt", "a.jpg,100,80\n", "image_sizes.txt: no size for image b.jpg"},
      {"localization.txt", "a.jpg,1,2,30\nb.jpg,0,0,1,1\n", "localization.txt:1: expected 5 or 3"},
      {"localization.txt", "a.jpg,10,2,5,40\nb.jpg,0,0,1,1\n", "localization.txt:1: box 10,2,5,40"},
      {"localization.txt", "a.jpg,1,2,130,40\nb.jpg,0,0,1,1\n", "not inside the 100x80 image"},
      {"localization.txt", "a.jpg,1,2,3,4\nb.jpg,x.png,\n", "localization.txt:2: box and mask"},
      {"localization.txt", "a.jpg,1,2,3,4\n", "localization.txt: no localization for image b.jpg"},
      {"image_sizes.txt", "", "localization.txt:1: boxes need image sizes"},
  };
  int i = 0;
  for (const Case& c : cases) {
    auto files = GoodBoxes();
    files[c.file] = c.text;
    EXPECT_THAT(
        ReadSplitMetadata(WriteSplit("bad" + std::to_string(i++), files), {.num_classes = 3}),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.file << ": " << c.text;
  }
  EXPECT_THAT(ReadSplitMetadata(::testing::TempDir() + "/nowhere"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("image_ids.txt")));
  // A directory where a file belongs is named as such.
  const std::string dir_ids = WriteSplit("ids_dir", {});
  std::filesystem::create_directories(dir_ids + "/image_ids.txt");
  EXPECT_THAT(ReadSplitMetadata(dir_ids),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("image_ids.txt: is a directory, expected a file")));
}

TEST(MetadataTest, AByteOrderMarkIsNotPartOfTheFirstId) {
  auto files = GoodBoxes();
  files["image_ids.txt"] = "\xEF\xBB\xBF" + files["image_ids.txt"];
  absl::StatusOr<SplitMetadata> split = ReadSplitMetadata(WriteSplit("bom", files));
  ASSERT_THAT(split, IsOk());
  EXPECT_EQ(split->images[0].image_id, "a.jpg");
}

TEST(MetadataTest, WriteThenReadRoundTrips) {
  absl::StatusOr<SplitMetadata> split = ReadSplitMetadata(WriteSplit("rt_in", GoodBoxes()));
  ASSERT_THAT(split, IsOk());
  const std::string out = ::testing::TempDir() + "/rt_out";
  ASSERT_THAT(WriteSplitMetadata(*split, out), IsOk());
  absl::StatusOr<SplitMetadata> back = ReadSplitMetadata(out);
  ASSERT_THAT(back, IsOk());
  ASSERT_EQ(back->images.size(), split->images.size());
  for (size_t i = 0; i < back->images.size(); ++i) {
    EXPECT_EQ(back->images[i].image_id, split->images[i].image_id);
    EXPECT_EQ(back->images[i].boxes, split->images[i].boxes);
    EXPECT_EQ(back->images[i].labels, split->images[i].labels);
  }
}

}  // namespace
}  // namespace wsol::metadata
