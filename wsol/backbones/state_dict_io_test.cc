#include "wsol/backbones/state_dict_io.h"

#include <ATen/core/Dict.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/types.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wsol::backbones {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Written by testdata/make_torchvision_stem.py with Python's torch.save.
constexpr char kZipFixture[] = "wsol/backbones/testdata/torchvision_stem_zip.pth";
constexpr char kLegacyFixture[] = "wsol/backbones/testdata/torchvision_stem_legacy.pth";

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return (dir ? std::filesystem::path(dir) : std::filesystem::temp_directory_path()) / name;
}

std::vector<std::string> Names(const StateDict& state) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : state) names.push_back(name);
  return names;
}

// The fixture's tensor i holds arange(numel) / 64 + i (see make_torchvision_stem.py);
// bn1.num_batches_tracked is the int64 scalar 7.
void ExpectStemFixture(const StateDict& state) {
  ASSERT_THAT(Names(state),
              ElementsAre("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean",
                          "bn1.running_var", "bn1.num_batches_tracked", "fc.weight", "fc.bias"));
  for (size_t i = 0; i < state.size(); ++i) {
    const auto& [name, tensor] = state[i];
    if (name == "bn1.num_batches_tracked") {
      EXPECT_EQ(tensor.scalar_type(), torch::kLong);
      EXPECT_EQ(tensor.dim(), 0);
      EXPECT_EQ(tensor.item<int64_t>(), 7);
      continue;
    }
    EXPECT_EQ(tensor.scalar_type(), torch::kFloat) << name;
    torch::Tensor expected =
        torch::arange(tensor.numel(), torch::kFloat).reshape(tensor.sizes()) / 64 +
        static_cast<double>(i);
    EXPECT_TRUE(tensor.equal(expected)) << name;
  }
  EXPECT_EQ(state[0].second.sizes(), (std::vector<int64_t>{4, 3, 7, 7}));
  EXPECT_EQ(state[6].second.sizes(), (std::vector<int64_t>{10, 128}));
}

TEST(ReadStateDictTest, ReadsPythonTorchSaveZipFormat) {
  ExpectStemFixture(ReadStateDict(kZipFixture));
}

TEST(ReadStateDictTest, ReadsPythonTorchSaveLegacyFormat) {
  ExpectStemFixture(ReadStateDict(kLegacyFixture));
}

TEST(WriteStateDictTest, RoundTripsDtypesViewsAndSharedStorage) {
  torch::Tensor base = torch::arange(24, torch::kFloat).reshape({4, 6});
  const StateDict written = {
      {"transposed", base.t()},                 // non-contiguous strides
      {"row_slice", base.narrow(0, 1, 2)},      // non-zero storage offset, shared
      {"column", base.select(1, 5)},            // stride 6
      {"counter", torch::tensor(int64_t{12})},  // 0-d int64
      {"half", torch::linspace(-1, 1, 5).to(torch::kHalf)},
      {"double", torch::rand({2, 3}, torch::kDouble)},
      {"mask", torch::tensor({true, false, true})},
      {"empty", torch::zeros({0, 3})},
  };
  const std::string path = TempPath("round_trip.pth");
  WriteStateDict(written, path);
  const StateDict read = ReadStateDict(path);
  ASSERT_EQ(Names(read), Names(written));
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_EQ(read[i].second.scalar_type(), written[i].second.scalar_type()) << read[i].first;
    EXPECT_TRUE(read[i].second.equal(written[i].second)) << read[i].first;
  }
}

TEST(ReadStateDictTest, TakesTheStateDictOfATrainingCheckpoint) {
  // {"epoch": 3, "state_dict": {"fc.bias": ...}, "note": "x"}, as training loops save.
  c10::impl::GenericDict inner(c10::StringType::get(), c10::TensorType::get());
  inner.insert("fc.bias", torch::ones({3}));
  c10::impl::GenericDict outer(c10::StringType::get(), c10::AnyType::get());
  outer.insert("epoch", int64_t{3});
  outer.insert("state_dict", inner);
  outer.insert("note", std::string("x"));
  const std::vector<char> bytes = torch::jit::pickle_save(outer);
  const std::string path = TempPath("checkpoint.pth");
  std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
  const StateDict state = ReadStateDict(path);
  ASSERT_THAT(Names(state), ElementsAre("fc.bias"));
  EXPECT_TRUE(state[0].second.equal(torch::ones({3})));
}

TEST(ReadStateDictTest, DropsNonTensorEntries) {
  c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  dict.insert("w", torch::zeros({2}));
  dict.insert("step", int64_t{5});
  const std::vector<char> bytes = torch::jit::pickle_save(dict);
  const std::string path = TempPath("mixed.pth");
  std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
  EXPECT_THAT(Names(ReadStateDict(path)), ElementsAre("w"));
}

void ExpectReadError(const std::string& path, const std::string& message) {
  try {
    ReadStateDict(path);
    ADD_FAILURE() << "expected an error reading " << path;
  } catch (const c10::Error& e) {
    EXPECT_THAT(e.what_without_backtrace(), HasSubstr(path));
    EXPECT_THAT(e.what_without_backtrace(), HasSubstr(message));
  }
}

TEST(ReadStateDictTest, ErrorsNameTheFile) {
  ExpectReadError(TempPath("does_not_exist.pth"), "cannot open");

  const std::string garbage = TempPath("garbage.pth");
  std::ofstream(garbage, std::ios::binary) << "not a checkpoint";
  ExpectReadError(garbage, "neither a zip archive nor a legacy torch.save file");

  // The legacy fixture cut short inside its storages.
  std::ifstream in(kLegacyFixture, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string truncated = TempPath("truncated.pth");
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() - 100);
  ExpectReadError(truncated, "truncated storage");

  // A zip without data.pkl's storages is reported by the zip reader, with the path.
  std::ifstream zin(kZipFixture, std::ios::binary);
  std::string zip((std::istreambuf_iterator<char>(zin)), std::istreambuf_iterator<char>());
  const std::string cut_zip = TempPath("cut.pth");
  std::ofstream(cut_zip, std::ios::binary) << zip.substr(0, zip.size() / 2);
  ExpectReadError(cut_zip, "failed finding central directory");
}

TEST(WriteStateDictTest, RejectsDuplicateNames) {
  EXPECT_THROW(WriteStateDict({{"a", torch::zeros({1})}, {"a", torch::ones({1})}},
                              TempPath("duplicate.pth")),
               c10::Error);
}

}  // namespace
}  // namespace wsol::backbones
