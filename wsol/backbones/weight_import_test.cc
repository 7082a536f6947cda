#include "wsol/backbones/weight_import.h"

#include <torch/types.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wsol/backbones/backbone_registry.h"
#include "wsol/backbones/checkpoint_layouts_testing.h"
#include "wsol/backbones/state_dict_io.h"

namespace wsol::backbones {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// A torchvision ResNet-50 stem + fc at width 1/16 (conv1 [4, 3, 7, 7], bn1, fc [10, 128])
// saved by Python's torch.save; see testdata/make_torchvision_stem.py.
constexpr char kStemFixture[] = "wsol/backbones/testdata/torchvision_stem_zip.pth";

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return (dir ? std::filesystem::path(dir) : std::filesystem::temp_directory_path()) / name;
}

std::vector<std::string> MismatchNames(const std::vector<ShapeMismatch>& mismatches) {
  std::vector<std::string> names;
  for (const ShapeMismatch& m : mismatches) names.push_back(m.name);
  return names;
}

torch::Tensor Find(const StateDict& state, const std::string& name) {
  for (const auto& [key, tensor] : state) {
    if (key == name) return tensor;
  }
  ADD_FAILURE() << "no " << name;
  return {};
}

TEST(ImportCheckpointTest, CopiesTorchvisionTensorsIntoResNet50) {
  auto net = CreateBackbone("resnet50", {.num_classes = 10, .width_multiplier = 0.0625});
  const ImportReport report = ImportCheckpoint(kStemFixture, *net, {});
  EXPECT_TRUE(report.ok) << report.Summary();
  EXPECT_THAT(report.copied,
              ElementsAre("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean",
                          "bn1.running_var", "bn1.num_batches_tracked", "fc.weight", "fc.bias"));
  EXPECT_THAT(report.unexpected, IsEmpty());
  EXPECT_THAT(report.missing, Contains("layer4.2.bn3.running_var"));
  EXPECT_THAT(report.missing, Not(Contains("conv1.weight")));
  const StateDict fixture = ReadStateDict(kStemFixture);
  const StateDict ours = ModuleStateDict(*net);
  for (const char* name :
       {"conv1.weight", "bn1.running_var", "bn1.num_batches_tracked", "fc.bias"}) {
    EXPECT_TRUE(Find(ours, name).equal(Find(fixture, name))) << name;
  }
  // Strict mode fails on the missing layers.
  auto strict_net = CreateBackbone("resnet50", {.num_classes = 10, .width_multiplier = 0.0625});
  const ImportReport strict = ImportCheckpoint(kStemFixture, *strict_net, {.strict = true});
  EXPECT_FALSE(strict.ok);
  EXPECT_THAT(strict.Summary(), HasSubstr("missing: layer1.0.conv1.weight"));
}

TEST(ImportCheckpointTest, SkipsOrReportsAClassifierOfAnotherClassCount) {
  auto net = CreateBackbone("resnet50", {.num_classes = 200, .width_multiplier = 0.0625});
  const torch::Tensor fc_before = net->ClassifierWeight().clone();
  const ImportReport skipped = ImportCheckpoint(kStemFixture, *net, {});
  EXPECT_TRUE(skipped.ok) << skipped.Summary();
  EXPECT_THAT(MismatchNames(skipped.skipped_classifier), ElementsAre("fc.weight", "fc.bias"));
  EXPECT_THAT(skipped.mis_shaped, IsEmpty());
  EXPECT_THAT(skipped.missing, Not(Contains("fc.weight")));
  EXPECT_TRUE(net->ClassifierWeight().equal(fc_before));

  const ImportReport reported =
      ImportCheckpoint(kStemFixture, *net, {.skip_mismatched_classifier = false});
  EXPECT_FALSE(reported.ok);
  ASSERT_THAT(MismatchNames(reported.mis_shaped), ElementsAre("fc.weight", "fc.bias"));
  EXPECT_EQ(reported.mis_shaped[0].expected, (std::vector<int64_t>{200, 128}));
  EXPECT_EQ(reported.mis_shaped[0].actual, (std::vector<int64_t>{10, 128}));
  EXPECT_THAT(reported.Summary(),
              HasSubstr("mis-shaped: fc.weight: module [200, 128], checkpoint [10, 128]; "
                        "fc.bias: module [200], checkpoint [10]"));
}

TEST(ImportCheckpointTest, ReportsUnexpectedMisShapedAndMissingByName) {
  auto source = CreateBackbone("preresnet18", {.num_classes = 4, .width_multiplier = 0.0625});
  StateDict state = ModuleStateDict(*source);
  state.erase(std::remove_if(state.begin(), state.end(),
                             [](const auto& entry) { return entry.first == "layer2.0.bn1.bias"; }),
              state.end());
  for (auto& [name, tensor] : state) {
    if (name == "layer1.0.conv1.weight") tensor = torch::zeros({5, 4, 3, 3});
  }
  state.emplace_back("AuxLogits.fc.weight", torch::zeros({2, 2}));
  const std::string path = TempPath("edited.pth");
  WriteStateDict(state, path);

  auto net = CreateBackbone("preresnet18", {.num_classes = 4, .width_multiplier = 0.0625});
  const ImportReport report = ImportCheckpoint(path, *net, {});
  EXPECT_FALSE(report.ok);
  EXPECT_THAT(report.unexpected, ElementsAre("AuxLogits.fc.weight"));
  EXPECT_THAT(report.missing, ElementsAre("layer2.0.bn1.bias"));
  ASSERT_THAT(MismatchNames(report.mis_shaped), ElementsAre("layer1.0.conv1.weight"));
  EXPECT_EQ(report.mis_shaped[0].expected, (std::vector<int64_t>{4, 4, 3, 3}));
  EXPECT_EQ(report.mis_shaped[0].actual, (std::vector<int64_t>{5, 4, 3, 3}));
  EXPECT_EQ(report.copied.size(), state.size() - 2);
  const std::string summary = report.Summary();
  EXPECT_THAT(summary, HasSubstr("1 missing, 1 unexpected, 1 mis-shaped"));
  EXPECT_THAT(summary, HasSubstr("missing: layer2.0.bn1.bias\n"));
  EXPECT_THAT(summary, HasSubstr("unexpected: AuxLogits.fc.weight\n"));
  EXPECT_THAT(summary,
              HasSubstr("layer1.0.conv1.weight: module [4, 4, 3, 3], checkpoint [5, 4, 3, 3]"));
}

TEST(ImportCheckpointTest, AcceptsDataParallelPrefixAndOldCheckpointsWithoutCounters) {
  auto source = CreateBackbone("resnet50", {.num_classes = 3, .width_multiplier = 0.0625});
  StateDict state;
  for (const auto& [name, tensor] : ModuleStateDict(*source)) {
    if (name.find("num_batches_tracked") == std::string::npos) {
      state.emplace_back("module." + name, tensor);
    }
  }
  const std::string path = TempPath("data_parallel.pth");
  WriteStateDict(state, path);
  auto net = CreateBackbone("resnet50", {.num_classes = 3, .width_multiplier = 0.0625});
  const ImportReport report = ImportCheckpoint(path, *net, {.strict = true});
  EXPECT_TRUE(report.ok) << report.Summary();
  EXPECT_EQ(report.copied.size(), state.size());
  EXPECT_THAT(report.missing, IsEmpty());
  EXPECT_EQ(report.missing_counters.size(), 53u);  // ResNet-50's BatchNorm layers
  EXPECT_THAT(report.unexpected, IsEmpty());
}

TEST(ImportCheckpointTest, InceptionV3ReportsTorchvisionOnlyLayersAsUnexpected) {
  auto net = CreateBackbone("inception_v3", {.num_classes = 200, .width_multiplier = 0.0625});
  EXPECT_EQ(ClassifierPrefix(*net), "SPG_A4.");
  // torchvision inception_v3 names: one of ours, and three layers WSOL drops.
  const StateDict checkpoint = {
      {"Conv2d_1a_3x3.conv.weight", torch::ones({2, 3, 3, 3})},
      {"Mixed_7a.branch3x3_1.conv.weight", torch::ones({12, 48, 1, 1})},
      {"AuxLogits.fc.weight", torch::ones({1000, 768})},
      {"fc.weight", torch::ones({1000, 2048})},
  };
  const ImportReport report = ImportStateDict(checkpoint, *net, ClassifierPrefix(*net), {});
  EXPECT_TRUE(report.ok) << report.Summary();
  EXPECT_THAT(report.copied, ElementsAre("Conv2d_1a_3x3.conv.weight"));
  EXPECT_THAT(report.unexpected,
              ElementsAre("Mixed_7a.branch3x3_1.conv.weight", "AuxLogits.fc.weight", "fc.weight"));
  EXPECT_THAT(report.missing, Contains("SPG_A3_1b.0.weight"));
}

class SaveLoadTest : public ::testing::TestWithParam<std::string> {};

// Every backbone: save, import into a fresh copy, identical outputs.
TEST_P(SaveLoadTest, RoundTripRestoresTheOutputs) {
  torch::manual_seed(5);
  const BackboneOptions options{.num_classes = 3, .width_multiplier = 0.0625};
  auto source = CreateBackbone(GetParam(), options);
  // Non-trivial BatchNorm statistics.
  source->train();
  source->Forward(torch::randn({2, 3, 64, 64}));
  source->eval();
  const std::string path = TempPath(GetParam() + ".pt");
  SaveBackboneWeights(*source, path);

  auto imported = CreateBackbone(GetParam(), options);
  const ImportReport report = ImportCheckpoint(path, *imported, {.strict = true});
  EXPECT_TRUE(report.ok) << report.Summary();
  EXPECT_THAT(report.unexpected, IsEmpty());
  EXPECT_THAT(report.missing_counters, IsEmpty());
  EXPECT_EQ(report.copied.size(), ModuleStateDict(*source).size());

  auto loaded = CreateBackbone(GetParam(), options);
  LoadBackboneWeights(*loaded, path);
  torch::NoGradGuard no_grad;
  imported->eval();
  loaded->eval();
  torch::Tensor images = torch::randn({2, 3, 64, 64});
  torch::Tensor expected = source->Forward(images).logits;
  EXPECT_TRUE(imported->Forward(images).logits.equal(expected));
  EXPECT_TRUE(loaded->Forward(images).logits.equal(expected));
}

TEST_P(SaveLoadTest, ModuleStateDictHoldsEveryParameterAndBufferOnce) {
  auto net = CreateBackbone(GetParam(), {.num_classes = 3, .width_multiplier = 0.0625});
  EXPECT_EQ(ModuleStateDict(*net).size(), net->parameters().size() + net->buffers().size());
  EXPECT_FALSE(ClassifierPrefix(*net).empty());
}

INSTANTIATE_TEST_SUITE_P(AllBackbones, SaveLoadTest, ::testing::ValuesIn(BackboneNames()));

TEST(LoadBackboneWeightsTest, RejectsAnotherArchitectureAndLeavesTheModuleUnchanged) {
  auto narrow = CreateBackbone("vgg16", {.num_classes = 3, .width_multiplier = 0.0625});
  const std::string path = TempPath("vgg_narrow.pt");
  SaveBackboneWeights(*narrow, path);
  auto wide = CreateBackbone("vgg16", {.num_classes = 3, .width_multiplier = 0.125});
  // Every tensor, including fc.bias, whose shape [3] matches the checkpoint's: a loader
  // that copied before checking would change it.
  std::vector<std::pair<std::string, torch::Tensor>> before;
  for (const auto& [name, tensor] : ModuleStateDict(*wide))
    before.emplace_back(name, tensor.clone());
  try {
    LoadBackboneWeights(*wide, path);
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_THAT(e.what_without_backtrace(), HasSubstr(path));
    EXPECT_THAT(e.what_without_backtrace(),
                HasSubstr("conv6.weight: module [128, 64, 3, 3], checkpoint [64, 32, 3, 3]"));
  }
  const auto after = ModuleStateDict(*wide);
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [name, tensor] : before) {
    const auto it = std::find_if(after.begin(), after.end(),
                                 [&](const auto& entry) { return entry.first == name; });
    ASSERT_NE(it, after.end()) << name;
    EXPECT_TRUE(it->second.equal(tensor)) << name << " changed";
  }
}

struct LayoutCase {
  const char* name;
  const char* architecture;
  StateDict (*make)();
  CheckpointLayout layout;
  // Checkpoint name -> our name, for tensors checked value by value.
  std::vector<std::pair<std::string, std::string>> samples;
};

class PaperBackboneLayoutTest : public ::testing::TestWithParam<LayoutCase> {};

TEST_P(PaperBackboneLayoutTest, EveryTensorFindsItsPlace) {
  const LayoutCase& c = GetParam();
  const StateDict source = c.make();
  const std::string path = TempPath(std::string(c.name) + ".pth");
  WriteStateDict(source, path);
  auto net = CreateBackbone(c.architecture, {.num_classes = 200});
  const ImportReport report = ImportCheckpoint(path, *net, {});
  EXPECT_TRUE(report.ok) << report.Summary();
  EXPECT_EQ(report.layout, c.layout);
  EXPECT_THAT(report.unexpected, IsEmpty());
  EXPECT_THAT(report.missing, IsEmpty());
  EXPECT_THAT(report.mis_shaped, IsEmpty());
  // The 1000-class classifier stays at its initialization for 200 classes.
  EXPECT_EQ(report.skipped_classifier.size(), 2u);
  EXPECT_EQ(report.copied.size() + report.skipped_classifier.size(), source.size());
  const StateDict ours = ModuleStateDict(*net);
  for (const auto& [theirs, mine] : c.samples) {
    EXPECT_TRUE(torch::equal(Find(ours, mine), Find(source, theirs))) << theirs << " -> " << mine;
  }
  // Naming the layout explicitly gives the same import.
  auto again = CreateBackbone(c.architecture, {.num_classes = 200});
  EXPECT_EQ(ImportCheckpoint(path, *again, {.layout = c.layout}).copied, report.copied);
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, PaperBackboneLayoutTest,
    ::testing::Values(
        LayoutCase{"pytorchcv_preresnet18",
                   "preresnet18",
                   &testing::PytorchcvPreResNet18,
                   CheckpointLayout::kPytorchcvPreResNet,
                   {{"features.init_block.conv.weight", "conv1.weight"},
                    {"features.init_block.bn.bias", "bn1.bias"},
                    {"features.stage1.unit1.body.conv1.bn.weight", "layer1.0.bn1.weight"},
                    {"features.stage1.unit2.body.conv2.conv.weight", "layer1.1.conv2.weight"},
                    {"features.stage2.unit1.identity_conv.weight", "layer2.0.shortcut.weight"},
                    {"features.stage4.unit2.body.conv1.bn.running_var", "layer4.1.bn1.running_var"},
                    {"features.post_activ.bn.running_mean", "bn_final.running_mean"}}},
        LayoutCase{"timm_seresnet50",
                   "se_resnet50",
                   [] { return testing::TimmSeResNet50(false); },
                   CheckpointLayout::kNative,
                   {{"conv1.weight", "conv1.weight"},
                    {"layer3.5.se.fc2.bias", "layer3.5.se.fc2.bias"},
                    {"layer4.0.downsample.1.running_var", "layer4.0.downsample.1.running_var"}}},
        LayoutCase{"timm_legacy_seresnet50",
                   "se_resnet50",
                   [] { return testing::TimmSeResNet50(true); },
                   CheckpointLayout::kTimmLegacySenet,
                   {{"layer0.conv1.weight", "conv1.weight"},
                    {"layer0.bn1.num_batches_tracked", "bn1.num_batches_tracked"},
                    {"layer1.0.se_module.fc1.weight", "layer1.0.se.fc1.weight"},
                    {"layer4.2.se_module.fc2.bias", "layer4.2.se.fc2.bias"},
                    {"layer2.0.downsample.0.weight", "layer2.0.downsample.0.weight"}}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(PaperBackboneLayoutTest, ACheckpointNothingOfWhichFitsIsNotOk) {
  // pytorchcv's names read as torchvision's: every tensor is unexpected, none copied.
  const std::string path = TempPath("wrong_layout.pth");
  WriteStateDict(testing::PytorchcvPreResNet18(), path);
  auto net = CreateBackbone("preresnet18", {.num_classes = 1000});
  const ImportReport report = ImportCheckpoint(path, *net, {.layout = CheckpointLayout::kNative});
  EXPECT_FALSE(report.ok);
  EXPECT_THAT(report.copied, IsEmpty());
  EXPECT_THAT(report.unexpected, Contains("features.init_block.conv.weight"));
}

TEST(PaperBackboneLayoutTest, LegacySenetImportSaysTheStrideDiffers) {
  const std::string path = TempPath("legacy_note.pth");
  WriteStateDict(testing::TimmSeResNet50(true), path);
  auto net = CreateBackbone("se_resnet50", {.num_classes = 1000});
  const ImportReport report = ImportCheckpoint(path, *net, {});
  EXPECT_THAT(report.Summary(), HasSubstr("layout timm_legacy_senet"));
  EXPECT_THAT(report.Summary(), HasSubstr("note: Cadene's SE-ResNet-50"));
}

TEST(PaperBackboneLayoutTest, TranslatesNamesAndLeavesUnknownOnes) {
  EXPECT_EQ(TranslateName("module.features.stage3.unit2.body.conv2.bn.bias",
                          CheckpointLayout::kPytorchcvPreResNet),
            "layer3.1.bn2.bias");
  EXPECT_EQ(TranslateName("features.final_pool.x", CheckpointLayout::kPytorchcvPreResNet),
            "features.final_pool.x");
  EXPECT_EQ(TranslateName("last_linear.weight", CheckpointLayout::kTimmLegacySenet), "fc.weight");
  EXPECT_EQ(DetectLayout({"module.layer0.conv1.weight"}), CheckpointLayout::kTimmLegacySenet);
  EXPECT_EQ(DetectLayout({"conv1.weight", "fc.bias"}), CheckpointLayout::kNative);
  CheckpointLayout parsed;
  EXPECT_TRUE(ParseLayout("pytorchcv_preresnet", &parsed));
  EXPECT_EQ(parsed, CheckpointLayout::kPytorchcvPreResNet);
  EXPECT_FALSE(ParseLayout("caffe", &parsed));
}

}  // namespace
}  // namespace wsol::backbones
