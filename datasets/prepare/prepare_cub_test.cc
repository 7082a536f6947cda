#include "datasets/prepare/prepare_cub.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "wsol/metadata/metadata.h"
#include "wsol/util/status_matchers.h"
#include "wsol/util/test_files.h"

namespace wsol::datasets {
namespace {

using ::testing::ElementsAre;
using testing::FreshTestDir;
using ::testing::HasSubstr;
using testing::WriteTestFile;
using testing::WriteTestImage;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

// A CUB_200_2011 folder with 6 images of classes 1 and 2: per class two training and one
// test image.
std::string WriteCubFixture(const std::string& name) {
  const std::string dir = FreshTestDir(name);
  WriteTestFile(dir + "/images.txt",
                "1 001.Black_footed_Albatross/Black_Footed_Albatross_0046_18.jpg\n"
                "2 001.Black_footed_Albatross/Black_Footed_Albatross_0009_34.jpg\n"
                "3 001.Black_footed_Albatross/Black_Footed_Albatross_0002_55.jpg\n"
                "4 002.Laysan_Albatross/Laysan_Albatross_0001_1.jpg\n"
                "5 002.Laysan_Albatross/Laysan_Albatross_0002_2.jpg\n"
                "6 002.Laysan_Albatross/Laysan_Albatross_0003_3.jpg\n");
  WriteTestFile(dir + "/image_class_labels.txt", "1 1\n2 1\n3 1\n4 2\n5 2\n6 2\n");
  WriteTestFile(dir + "/train_test_split.txt", "1 0\n2 1\n3 1\n4 1\n5 0\n6 1\n");
  // Images 1 and 2 carry CUB's real first boxes (bounding_boxes.txt lines 1 and 2);
  // image 6's box overhangs the right and bottom edges by one pixel (as rounding does).
  WriteTestFile(dir + "/bounding_boxes.txt",
                "1 60.0 27.0 325.0 304.0\n"
                "2 139.0 30.0 153.0 264.0\n"
                "3 10.5 20.9 30.0 40.0\n"
                "4 0.0 0.0 10.0 10.0\n"
                "5 1.0 2.0 3.0 4.0\n"
                "6 40.0 50.0 41.0 11.0\n");
  WriteTestFile(dir + "/classes.txt", "1 001.Black_footed_Albatross\n2 002.Laysan_Albatross\n");
  WriteTestImage(dir + "/images/001.Black_footed_Albatross/Black_Footed_Albatross_0046_18.jpg", 500,
                 335);
  WriteTestImage(dir + "/images/001.Black_footed_Albatross/Black_Footed_Albatross_0009_34.jpg", 400,
                 300);
  WriteTestImage(dir + "/images/001.Black_footed_Albatross/Black_Footed_Albatross_0002_55.jpg", 64,
                 64);
  WriteTestImage(dir + "/images/002.Laysan_Albatross/Laysan_Albatross_0001_1.jpg", 32, 32);
  WriteTestImage(dir + "/images/002.Laysan_Albatross/Laysan_Albatross_0002_2.jpg", 32, 48);
  WriteTestImage(dir + "/images/002.Laysan_Albatross/Laysan_Albatross_0003_3.jpg", 80, 60);
  return dir;
}

TEST(PrepareCubTest, WritesOfficialSplitsWithWsolevaluationBoxes) {
  PrepareOptions options;
  options.source = WriteCubFixture("cub_official");
  options.out = FreshTestDir("cub_official_out");
  options.val_per_class = 1;
  absl::StatusOr<PrepareResult> result = PrepareCub(options);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->num_classes, 200);
  EXPECT_EQ(result->split_sizes.at("train"), 2);
  EXPECT_EQ(result->split_sizes.at("val"), 2);
  EXPECT_EQ(result->split_sizes.at("test"), 2);
  EXPECT_THAT(result->dataset_spec, HasSubstr("name: \"CUB\""));
  EXPECT_THAT(result->dataset_spec, HasSubstr("annotation: BOXES"));

  absl::StatusOr<metadata::SplitMetadata> test =
      metadata::ReadSplitMetadata(options.out + "/metadata/test");
  ASSERT_THAT(test, IsOk());
  ASSERT_EQ(test->kind, metadata::LocalizationKind::kBoxes);
  ASSERT_EQ(test->images.size(), 2u);
  const metadata::ImageRecord& first = test->images[0];
  EXPECT_EQ(first.image_id, "001.Black_footed_Albatross/Black_Footed_Albatross_0046_18.jpg");
  EXPECT_THAT(first.labels, ElementsAre(0));
  EXPECT_EQ(first.width, 500);
  EXPECT_EQ(first.height, 335);
  // wsolevaluation's metadata/CUB/test/localization.txt, first line:
  // "...Black_Footed_Albatross_0046_18.jpg,60,27,385,331".
  EXPECT_THAT(first.boxes, ElementsAre(metrics::Box{60, 27, 385, 331}));
  EXPECT_EQ(test->images[1].image_id, "002.Laysan_Albatross/Laysan_Albatross_0002_2.jpg");
  // 1.0 2.0 3.0 4.0 -> (1, 2, 1 + 3, 2 + 4).
  EXPECT_THAT(test->images[1].boxes, ElementsAre(metrics::Box{1, 2, 4, 6}));
  EXPECT_THAT(test->images[1].labels, ElementsAre(1));

  // The first training image of each class in images.txt order goes to val.
  absl::StatusOr<metadata::SplitMetadata> val =
      metadata::ReadSplitMetadata(options.out + "/metadata/val");
  ASSERT_THAT(val, IsOk());
  ASSERT_EQ(val->images.size(), 2u);
  EXPECT_EQ(val->images[0].image_id,
            "001.Black_footed_Albatross/Black_Footed_Albatross_0009_34.jpg");
  // wsolevaluation's metadata/CUB/train/localization.txt: "..._0009_34.jpg,139,30,292,294".
  EXPECT_THAT(val->images[0].boxes, ElementsAre(metrics::Box{139, 30, 292, 294}));
  EXPECT_EQ(val->images[1].image_id, "002.Laysan_Albatross/Laysan_Albatross_0001_1.jpg");

  absl::StatusOr<metadata::SplitMetadata> train =
      metadata::ReadSplitMetadata(options.out + "/metadata/train");
  ASSERT_THAT(train, IsOk());
  ASSERT_EQ(train->images.size(), 2u);
  // 10.5 20.9 30.0 40.0 -> truncated (10, 20, 40, 60).
  EXPECT_THAT(train->images[0].boxes, ElementsAre(metrics::Box{10, 20, 40, 60}));
  // 40 50 41 11 (to 81, 61) in an 80x60 image -> clamped to (40, 50, 79, 59).
  EXPECT_THAT(train->images[1].boxes, ElementsAre(metrics::Box{40, 50, 79, 59}));

  std::ifstream names(options.out + "/class_names.txt");
  std::string line;
  std::getline(names, line);
  EXPECT_EQ(line, "001.Black_footed_Albatross");
}

TEST(PrepareCubTest, MissingImageNamesIdAndPath) {
  PrepareOptions options;
  options.source = WriteCubFixture("cub_missing");
  options.out = FreshTestDir("cub_missing_out");
  options.val_per_class = 1;
  std::filesystem::remove(options.source +
                          "/images/002.Laysan_Albatross/Laysan_Albatross_0002_2.jpg");
  EXPECT_THAT(PrepareCub(options),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("image 002.Laysan_Albatross/Laysan_Albatross_0002_2.jpg: " +
                                 options.source)));
  options.skip_bad_images = true;
  absl::StatusOr<PrepareResult> result = PrepareCub(options);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->split_sizes.at("test"), 1);
  EXPECT_THAT(result->notes, ::testing::Contains(HasSubstr("skipped image 002.Laysan")));
}

TEST(PrepareCubTest, InconsistentAnnotationFilesAreErrors) {
  PrepareOptions options;
  options.source = WriteCubFixture("cub_bad");
  options.out = FreshTestDir("cub_bad_out");
  WriteTestFile(options.source + "/bounding_boxes.txt", "1 60.0 27.0 325.0\n");
  EXPECT_THAT(PrepareCub(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("bounding_boxes.txt:1: expected an id and 4 fields")));
  WriteTestFile(options.source + "/bounding_boxes.txt", "1 60.0 27.0 325.0 304.0\n");
  EXPECT_THAT(PrepareCub(options), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("bounding_boxes.txt: image 2")));
  WriteTestFile(options.source + "/image_class_labels.txt", "1 201\n");
  EXPECT_THAT(PrepareCub(options), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("class '201', expected 1..200")));
}

// Values that once became made-up boxes or splits with exit 0 are named errors.
TEST(PrepareCubTest, ImpossibleBoxesAndSplitsAreErrors) {
  struct Case {
    const char* file;
    const char* line;  // Replaces image 4's line (a 32x32 image).
    const char* message;
  };
  const Case cases[] = {
      {"bounding_boxes.txt", "4 nan 0 4 19", "a coordinate is not a number"},
      {"bounding_boxes.txt", "4 1 1 1e20 5", "outside the 32x32 image"},
      {"bounding_boxes.txt", "4 1 1 -20 5", "inverted (negative width or height)"},
      {"bounding_boxes.txt", "4 100 100 5 5", "outside the 32x32 image"},
      {"train_test_split.txt", "4 2", "image 4 has '2', expected 1 (train) or 0 (test)"},
      {"train_test_split.txt", "4 yes", "image 4 has 'yes', expected 1 (train) or 0 (test)"},
  };
  for (const Case& c : cases) {
    PrepareOptions options;
    options.source = WriteCubFixture("cub_impossible");
    options.out = FreshTestDir("cub_impossible_out");
    options.val_per_class = 1;
    std::ifstream in(options.source + "/" + c.file);
    std::string text, line;
    while (std::getline(in, line)) text += (line.rfind("4 ", 0) == 0 ? c.line : line) + "\n";
    in.close();
    WriteTestFile(options.source + "/" + c.file, text);
    EXPECT_THAT(PrepareCub(options),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.file << ": " << c.line;
  }
}

TEST(PrepareCubTest, ValidationMayNotEmptyAClassOrBeNegative) {
  PrepareOptions options;
  options.source = WriteCubFixture("cub_carve");
  options.out = FreshTestDir("cub_carve_out");
  // Each class has two training images: taking two for validation leaves none.
  options.val_per_class = 2;
  EXPECT_THAT(PrepareCub(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("class 0 has 2 training images; taking --val_per_class=2")));
  options.val_per_class = -1;
  EXPECT_THAT(PrepareCub(options), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("--val_per_class=-1: expected 0 or more")));
}

TEST(PrepareCubTest, ImportsWsolevaluationMetadata) {
  const std::string source = WriteCubFixture("cub_wsol");
  const std::string wsol = FreshTestDir("cub_wsol_metadata");
  // Their layout: metadata/CUB/{train,val,test}; CUBV2 images sit in the class folders.
  WriteTestImage(source + "/images/001.Black_footed_Albatross/30107316117.jpg", 50, 40);
  for (const char* split : {"train", "val", "test"}) {
    const std::string id = std::string(split) == "val"
                               ? "001.Black_footed_Albatross/30107316117.jpg"
                               : "002.Laysan_Albatross/Laysan_Albatross_0001_1.jpg";
    const std::string size = std::string(split) == "val" ? "50,40" : "32,32";
    WriteTestFile(wsol + "/" + split + "/image_ids.txt", id + "\n");
    WriteTestFile(wsol + "/" + split + "/class_labels.txt",
                  id + (std::string(split) == "val" ? ",0\n" : ",1\n"));
    WriteTestFile(wsol + "/" + split + "/image_sizes.txt", id + "," + size + "\n");
    WriteTestFile(wsol + "/" + split + "/localization.txt", id + ",1,2,10,20\n");
  }
  PrepareOptions options;
  options.source = source;
  options.out = FreshTestDir("cub_wsol_out");
  options.wsol_metadata = wsol;
  absl::StatusOr<PrepareResult> result = PrepareCub(options);
  ASSERT_THAT(result, IsOk());
  absl::StatusOr<metadata::SplitMetadata> val =
      metadata::ReadSplitMetadata(options.out + "/metadata/val");
  ASSERT_THAT(val, IsOk());
  ASSERT_EQ(val->images.size(), 1u);
  EXPECT_EQ(val->images[0].width, 50);
  EXPECT_THAT(val->images[0].boxes, ElementsAre(metrics::Box{1, 2, 10, 20}));

  // A listed size that disagrees with the image is caught.
  WriteTestFile(wsol + "/test/image_sizes.txt",
                "002.Laysan_Albatross/Laysan_Albatross_0001_1.jpg,33,32\n");
  EXPECT_THAT(PrepareCub(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is listed as 33x32 but the image is 32x32")));
}

TEST(PrepareCubTest, WrongSourceExplainsLayout) {
  PrepareOptions options;
  options.source = FreshTestDir("cub_empty");
  options.out = FreshTestDir("cub_empty_out");
  EXPECT_THAT(PrepareCub(options),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("CUB_200_2011 folder")));
}

}  // namespace
}  // namespace wsol::datasets
