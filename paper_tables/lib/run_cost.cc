#include "paper_tables/lib/run_cost.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "wsol/train/cadence.h"

namespace wsol::tables {
namespace {

struct Architecture {
  double macs_vs_preresnet18;  // Multiply-adds per input pixel, relative to PreResNet-18.
  double feature_parameters;   // At width 1, without the classifier.
};

// Multiply-adds and parameter counts of the torchvision / timm / pytorchcv definitions
// at 224 px (ResNet-18 1.82 G, ResNet-50 4.11 G, VGG16 15.5 G, Inception-v3 5.7 G at
// 299 px = 3.2 G at 224, SE-ResNet-50 4.09 G).
Architecture ArchitectureOf(const std::string& name) {
  static const auto* table = new std::map<std::string, Architecture>{
      {"preresnet18", {1.0, 11.17e6}},  {"resnet50", {2.26, 23.51e6}},    {"vgg16", {8.5, 14.71e6}},
      {"inception_v3", {1.76, 21.8e6}}, {"se_resnet50", {2.25, 26.04e6}},
  };
  auto it = table->find(name);
  return it == table->end() ? Architecture{2.26, 23.51e6} : it->second;
}

struct SplitSizes {
  double train = 0, val = 0, test = 0;
};

// wsolevaluation's splits (train / train-fullsup as val / test); Oxford-IIIT Pet and
// VOC 2012 as our preparers split them (trainval less a 10% validation carve, test).
bool KnownSplitSizes(const std::string& dataset, SplitSizes* sizes) {
  static const auto* table = new std::map<std::string, SplitSizes>{
      {"cub", {5994, 1000, 5794}},         {"openimages", {29819, 2500, 5000}},
      {"ilsvrc", {1281167, 10000, 50000}}, {"oxford", {3312, 368, 3669}},
      {"voc", {1318, 146, 1449}},
  };
  auto it = table->find(absl::AsciiStrToLower(dataset));
  if (it == table->end()) return false;
  *sizes = it->second;
  return true;
}

}  // namespace

RunCost EstimateRunCost(const proto::Experiment& e) {
  RunCost cost;
  const proto::Dataset& d = e.dataset();
  SplitSizes n;
  if (d.has_fmnist_loc() || absl::AsciiStrToLower(d.name()) == "fmnist_loc") {
    const double classes = d.num_classes();
    n = {d.fmnist_loc().train_per_class() * classes, d.fmnist_loc().val_per_class() * classes,
         d.fmnist_loc().test_per_class() * classes};
  } else {
    cost.known_images = KnownSplitSizes(d.name(), &n);
  }
  const double train_sample =
      e.evaluation().train_entropy_images() == 0
          ? n.train
          : std::min<double>(n.train, e.evaluation().train_entropy_images());
  const Architecture a = ArchitectureOf(e.backbone().architecture());
  const double width = e.backbone().width_multiplier() / 0.25;
  const double precision = e.runtime().precision() == proto::Runtime::FLOAT64 ? 2.0 : 1.0;
  const double scale = a.macs_vs_preresnet18 * width * width * precision;
  const double train_pixels = std::pow(d.crop_size() / 48.0, 2);
  const double eval_pixels = std::pow(d.eval_size() / 48.0, 2);
  const double epochs = e.optimizer().epochs();
  // Val and the training sample are scored after every k-th epoch and the last.
  const double observed =
      train::EpochsOnCadence(e.evaluation().observe_every_epochs(), e.optimizer().epochs());
  cost.cpu_seconds = scale * (epochs * n.train * train_pixels / kReferenceTrainImagesPerSecond +
                              (observed * (n.val + train_sample) + n.test) * eval_pixels /
                                  kReferenceEvalImagesPerSecond);
  const double parameter_bytes = a.feature_parameters * e.backbone().width_multiplier() *
                                 e.backbone().width_multiplier() *
                                 (e.runtime().precision() == proto::Runtime::FLOAT64 ? 8 : 4);
  cost.disk_bytes = 3 * parameter_bytes;  // checkpoint.pt: weights + momentum; best_model.pt.
  if (e.evaluation().save_scoremaps()) {
    cost.disk_bytes += n.test * d.eval_size() * d.eval_size() * 4.0 * precision;
  }
  return cost;
}

std::string CostSummary(int to_train, int cached, const RunCost& total) {
  const double minutes = total.cpu_seconds / 60;
  return absl::StrFormat(
      "%d to train, %d cached, about %s CPU-minutes and %.0f MB%s", to_train, cached,
      minutes < 10 ? absl::StrFormat("%.1f", minutes) : absl::StrFormat("%.0f", minutes),
      total.disk_bytes / 1e6,
      total.known_images ? "" : " (some data sets' sizes unknown: not counted)");
}

}  // namespace wsol::tables
