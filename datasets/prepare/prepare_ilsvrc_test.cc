#include "datasets/prepare/prepare_ilsvrc.h"

#include <filesystem>
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

std::string Xml(int width, int height, const std::string& objects) {
  return "<annotation>\n\t<folder>val</folder>\n\t<filename>x</filename>\n\t<size>\n\t\t<width>" +
         std::to_string(width) + "</width>\n\t\t<height>" + std::to_string(height) +
         "</height>\n\t\t<depth>3</depth>\n\t</size>\n" + objects + "</annotation>\n";
}

std::string Object(const std::string& wnid, int x0, int y0, int x1, int y1) {
  return "\t<object>\n\t\t<name>" + wnid +
         "</name>\n\t\t<pose>Unspecified</pose>\n\t\t<truncated>0</truncated>\n"
         "\t\t<difficult>0</difficult>\n\t\t<bndbox>\n\t\t\t<xmin>" +
         std::to_string(x0) + "</xmin>\n\t\t\t<ymin>" + std::to_string(y0) +
         "</ymin>\n\t\t\t<xmax>" + std::to_string(x1) + "</xmax>\n\t\t\t<ymax>" +
         std::to_string(y1) + "</ymax>\n\t\t</bndbox>\n\t</object>\n";
}

// Two classes (n01443537 sorts after n01440764), one training image each, and three
// validation images with XML boxes.
std::string WriteIlsvrcFixture(const std::string& name) {
  const std::string dir = FreshTestDir(name);
  WriteTestImage(dir + "/train/n01440764/n01440764_10026.JPEG", 40, 30);
  WriteTestImage(dir + "/train/n01443537/n01443537_2.JPEG", 30, 40);
  WriteTestImage(dir + "/val/ILSVRC2012_val_00000001.JPEG", 50, 40);
  WriteTestImage(dir + "/val/ILSVRC2012_val_00000002.JPEG", 50, 40);
  WriteTestImage(dir + "/val/ILSVRC2012_val_00000003.JPEG", 20, 20);
  const std::string xml_dir = dir + "/Annotations/CLS-LOC/val/";
  WriteTestFile(xml_dir + "ILSVRC2012_val_00000001.xml",
                Xml(50, 40, Object("n01443537", 11, 10, 44, 19)));
  // Two boxes; the second reaches past the right edge (xmax 50 in a 50 px wide image).
  WriteTestFile(xml_dir + "ILSVRC2012_val_00000002.xml",
                Xml(50, 40, Object("n01440764", 4, 4, 45, 16) + Object("n01440764", 2, 6, 50, 20)));
  // An XML beside the image is found too.
  WriteTestFile(dir + "/val/ILSVRC2012_val_00000003.xml",
                Xml(20, 20, Object("n01440764", 0, 0, 19, 19)));
  return dir;
}

TEST(PrepareIlsvrcTest, ReadsValidationBoxesAndClassIndex) {
  PrepareOptions options;
  options.source = WriteIlsvrcFixture("ilsvrc");
  options.out = FreshTestDir("ilsvrc_out");
  absl::StatusOr<PrepareResult> result = PrepareIlsvrc(options);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->num_classes, 2);
  EXPECT_EQ(result->split_sizes.count("val"), 0u);
  EXPECT_THAT(result->notes, ::testing::Contains(HasSubstr("no val split")));

  absl::StatusOr<metadata::SplitMetadata> test =
      metadata::ReadSplitMetadata(options.out + "/metadata/test");
  ASSERT_THAT(test, IsOk());
  ASSERT_EQ(test->images.size(), 3u);
  EXPECT_EQ(test->images[0].image_id, "val/ILSVRC2012_val_00000001.JPEG");
  EXPECT_THAT(test->images[0].labels, ElementsAre(1));
  EXPECT_THAT(test->images[0].boxes, ElementsAre(metrics::Box{11, 10, 44, 19}));
  EXPECT_THAT(test->images[1].labels, ElementsAre(0));
  EXPECT_THAT(test->images[1].boxes,
              ElementsAre(metrics::Box{4, 4, 45, 16}, metrics::Box{2, 6, 49, 20}));
  EXPECT_EQ(test->images[2].width, 20);

  metadata::ReadOptions train_options;
  train_options.require_localization = false;
  absl::StatusOr<metadata::SplitMetadata> train =
      metadata::ReadSplitMetadata(options.out + "/metadata/train", train_options);
  ASSERT_THAT(train, IsOk());
  ASSERT_EQ(train->images.size(), 2u);
  EXPECT_EQ(train->images[1].image_id, "train/n01443537/n01443537_2.JPEG");
  EXPECT_THAT(train->images[1].labels, ElementsAre(1));
}

TEST(PrepareIlsvrcTest, SynsetMappingFileSetsTheClassIndex) {
  PrepareOptions options;
  options.source = WriteIlsvrcFixture("ilsvrc_mapping");
  options.out = FreshTestDir("ilsvrc_mapping_out");
  // Deliberately not sorted, to see that the file's order wins.
  WriteTestFile(options.source + "/LOC_synset_mapping.txt",
                "n01443537 goldfish, Carassius auratus\nn01440764 tench, Tinca tinca\n");
  ASSERT_THAT(PrepareIlsvrc(options), IsOk());
  absl::StatusOr<metadata::SplitMetadata> test =
      metadata::ReadSplitMetadata(options.out + "/metadata/test");
  ASSERT_THAT(test, IsOk());
  EXPECT_THAT(test->images[0].labels, ElementsAre(0));
  EXPECT_THAT(test->images[1].labels, ElementsAre(1));
}

TEST(PrepareIlsvrcTest, BadAnnotationsAreErrors) {
  PrepareOptions options;
  options.source = WriteIlsvrcFixture("ilsvrc_bad");
  options.out = FreshTestDir("ilsvrc_bad_out");
  const std::string xml = options.source + "/Annotations/CLS-LOC/val/ILSVRC2012_val_00000001.xml";
  WriteTestFile(xml, Xml(51, 40, Object("n01443537", 11, 10, 44, 19)));
  EXPECT_THAT(PrepareIlsvrc(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the XML says 51x40 but the image is 50x40")));
  WriteTestFile(xml, Xml(50, 40, Object("n99999999", 11, 10, 44, 19)));
  EXPECT_THAT(PrepareIlsvrc(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown class 'n99999999'")));
  WriteTestFile(xml, Xml(50, 40, "<object><name>n01443537</name></object>"));
  EXPECT_THAT(PrepareIlsvrc(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lacks <name> or <bndbox>")));
  std::filesystem::remove(xml);
  EXPECT_THAT(PrepareIlsvrc(options),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("image val/ILSVRC2012_val_00000001.JPEG: no annotation XML")));
  options.skip_bad_images = true;
  absl::StatusOr<PrepareResult> result = PrepareIlsvrc(options);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->split_sizes.at("test"), 2);
}

TEST(PrepareIlsvrcTest, ImportsImageNetV2ValidationFromWsolevaluation) {
  PrepareOptions options;
  options.source = WriteIlsvrcFixture("ilsvrc_wsol");
  options.out = FreshTestDir("ilsvrc_wsol_out");
  options.wsol_metadata = FreshTestDir("ilsvrc_wsol_metadata");
  // Their metadata/ILSVRC/val lists ImageNetV2 images as val2/<class>/<n>.jpeg.
  WriteTestImage(options.source + "/val2/1/0.jpeg", 40, 30);
  WriteTestFile(options.wsol_metadata + "/val/image_ids.txt", "val2/1/0.jpeg\n");
  WriteTestFile(options.wsol_metadata + "/val/class_labels.txt", "val2/1/0.jpeg,1\n");
  WriteTestFile(options.wsol_metadata + "/val/image_sizes.txt", "val2/1/0.jpeg,40,30\n");
  WriteTestFile(options.wsol_metadata + "/val/localization.txt", "val2/1/0.jpeg,3,4,30,29\n");
  absl::StatusOr<PrepareResult> result = PrepareIlsvrc(options);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->split_sizes.at("val"), 1);
  absl::StatusOr<metadata::SplitMetadata> val =
      metadata::ReadSplitMetadata(options.out + "/metadata/val");
  ASSERT_THAT(val, IsOk());
  EXPECT_THAT(val->images[0].boxes, ElementsAre(metrics::Box{3, 4, 30, 29}));
  EXPECT_FALSE(std::filesystem::exists(options.out + "/.import"));
}

TEST(PrepareIlsvrcTest, ParsesAnnotationXml) {
  absl::StatusOr<XmlAnnotation> a =
      ParseAnnotationXml(Xml(500, 375, Object("n01751748", 111, 108, 441, 193)), "x.xml");
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->width, 500);
  EXPECT_EQ(a->height, 375);
  ASSERT_EQ(a->objects.size(), 1u);
  EXPECT_EQ(a->objects[0].name, "n01751748");
  EXPECT_EQ(a->objects[0].xmax, 441);
  EXPECT_THAT(ParseAnnotationXml("<annotation></annotation>", "y.xml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("y.xml: no <size>")));
}

}  // namespace
}  // namespace wsol::datasets
