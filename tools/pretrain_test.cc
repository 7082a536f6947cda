// //tools:pretrain's library at a tiny scale: it trains on FMNIST-Loc's pretraining style
// and writes weights that import into a fresh backbone of the same architecture (every
// feature tensor copied, the classifier left at its initialization), in float16.
#include "tools/pretrain.h"

#include <torch/types.h>

#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tools/components.h"
#include "wsol/backbones/backbone_registry.h"
#include "wsol/backbones/state_dict_io.h"
#include "wsol/backbones/weight_import.h"
#include "wsol/util/status_matchers.h"

namespace wsol::tools {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

proto::Experiment TinyPretraining() {
  proto::Experiment spec;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
    name: "tiny_pretraining"
    dataset {
      name: "FMNIST_LOC" num_classes: 10 resize_size: 36 crop_size: 32 eval_size: 32
      fmnist_loc { style: PRETRAINING canvas_size: 32 min_item_size: 12 max_item_size: 28
                   train_per_class: 3 val_per_class: 1 test_per_class: 1 }
    }
    backbone { architecture: "preresnet18" width_multiplier: 0.125 large_feature_map: true }
    method { cam {} }
    regularizer { none {} }
    optimizer { lr: 0.01 classifier_lr_multiplier: 1 epochs: 1 batch_size: 16 }
    evaluation { cam_curve_interval: 0.1 checkpoint_selection: LAST_EPOCH }
    runtime { device: "cpu" threads: 1 loader_workers: 1 seed: 3 }
  )pb",
                                                            &spec));
  spec.mutable_runtime()->set_output_dir(::testing::TempDir() + "/data");
  return spec;
}

TEST(PretrainTest, WritesFeatureWeightsThatImportIntoTheBackbone) {
  const std::string out = ::testing::TempDir() + "/pretrained.pt";
  ASSERT_THAT(Pretrain({.spec = TinyPretraining(),
                        .out = out,
                        .cache_dir = ::testing::TempDir() + "/cache",
                        .progress = false}),
              IsOk());
  ASSERT_TRUE(std::filesystem::exists(out));

  const backbones::StateDict written = backbones::ReadStateDict(out);
  ASSERT_FALSE(written.empty());
  for (const auto& [name, tensor] : written) {
    if (tensor.is_floating_point()) EXPECT_EQ(tensor.scalar_type(), torch::kHalf) << name;
    EXPECT_FALSE(absl::StartsWith(name, "fc.")) << name << " is the classifier's";
  }

  // A fresh backbone of the fine-tuning task (200 classes, not 10) takes every tensor but
  // the classifier's, whose names the file does not have.
  std::shared_ptr<backbones::Backbone> backbone = backbones::CreateBackbone(
      "preresnet18", {.num_classes = 200, .width_multiplier = 0.125, .large_feature_map = true});
  const backbones::ImportReport report =
      backbones::ImportCheckpoint(out, *backbone, backbones::ImportOptions{});
  EXPECT_TRUE(report.ok) << report.Summary();
  EXPECT_EQ(report.copied.size(), written.size());
  EXPECT_THAT(report.unexpected, IsEmpty());
  EXPECT_THAT(report.mis_shaped, IsEmpty());
  for (const std::string& name : report.missing) {
    EXPECT_TRUE(absl::StartsWith(name, "fc.")) << name << " should have been written";
  }
  EXPECT_FALSE(report.missing.empty()) << "the classifier is left out";

  // The copy is the file's value, in the backbone's float32.
  const auto module_state = backbones::ModuleStateDict(*backbone);
  for (const auto& [name, tensor] : written) {
    for (const auto& [module_name, value] : module_state) {
      if (module_name != name) continue;
      EXPECT_TRUE(torch::equal(value.to(tensor.scalar_type()), tensor)) << name;
    }
  }
}

TEST(PretrainTest, NoOutputPathIsAnError) {
  EXPECT_THAT(Pretrain({.spec = TinyPretraining(), .out = ""}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("output")));
}

}  // namespace
}  // namespace wsol::tools
