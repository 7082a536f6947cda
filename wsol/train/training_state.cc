#include "wsol/train/training_state.h"

#include <torch/optim/sgd.h>
#include <torch/serialize.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>

namespace wsol::train {

WsolModel::WsolModel(std::shared_ptr<backbones::Backbone> backbone,
                     std::shared_ptr<methods::Method> method, int64_t num_classes)
    : backbone_(register_module("backbone", std::move(backbone))),
      method_(register_module("method", std::move(method))) {
  method_->Attach(*backbone_, num_classes);
}

std::unique_ptr<torch::optim::SGD> MakeSgd(WsolModel& model, const SgdSettings& settings) {
  std::vector<torch::Tensor> fresh = model.backbone().NewLayerParameters();
  std::vector<torch::Tensor> features = model.backbone().FeatureParameters();
  const bool branches_fresh = model.backbone().MethodBranchesAreNewLayers();
  for (const torch::Tensor& p : model.method().ExtraParameters()) {
    (branches_fresh ? fresh : features).push_back(p);
  }
  if (!branches_fresh && model.method().ClassifierIsMethodHead()) {
    for (const torch::Tensor& p : model.backbone().ClassifierParameters()) {
      fresh.erase(std::remove_if(fresh.begin(), fresh.end(),
                                 [&](const torch::Tensor& t) { return t.is_same(p); }),
                  fresh.end());
      features.push_back(p);
    }
  }
  auto options = [&](double lr) {
    return std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(lr)
                                                          .momentum(settings.momentum)
                                                          .nesterov(settings.nesterov)
                                                          .weight_decay(settings.weight_decay));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(features, options(settings.lr));
  groups.emplace_back(fresh, options(settings.lr * settings.classifier_lr_multiplier));
  return std::make_unique<torch::optim::SGD>(groups, torch::optim::SGDOptions(settings.lr));
}

double LearningRateForEpoch(const SgdSettings& settings, int epoch) {
  // wsolevaluation calls adjust_learning_rate(epoch + 1) before each 0-based epoch and
  // decays when that number is a multiple of the interval.
  return settings.lr * std::pow(settings.decay_factor, (epoch + 1) / settings.decay_every_epochs);
}

void SetEpochLearningRate(torch::optim::SGD& sgd, const SgdSettings& settings, int epoch) {
  const double lr = LearningRateForEpoch(settings, epoch);
  auto& groups = sgd.param_groups();
  static_cast<torch::optim::SGDOptions&>(groups[0].options()).lr(lr);
  static_cast<torch::optim::SGDOptions&>(groups[1].options())
      .lr(lr * settings.classifier_lr_multiplier);
}

double AppliedLearningRate(const torch::optim::SGD& sgd) {
  return static_cast<const torch::optim::SGDOptions&>(sgd.param_groups()[0].options()).lr();
}

std::string SerializeCheckpoint(WsolModel& model, torch::optim::SGD* sgd,
                                const CheckpointMeta& meta) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  if (sgd != nullptr) {
    torch::serialize::OutputArchive sgd_archive;
    sgd->save(sgd_archive);
    archive.write("sgd", sgd_archive);
  }
  archive.write("next_epoch", c10::IValue(meta.next_epoch));
  archive.write("best_score", c10::IValue(meta.best_score));
  archive.write("best_epoch", c10::IValue(meta.best_epoch));
  archive.write("spec_fingerprint", c10::IValue(meta.spec_fingerprint));
  archive.write("history_csv", c10::IValue(meta.history_csv));
  archive.write("world_size", c10::IValue(meta.world_size));
  std::string bytes;
  archive.save_to([&bytes](const void* data, size_t size) {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  return bytes;
}

CheckpointMeta LoadCheckpoint(const std::string& path, WsolModel& model, torch::optim::SGD* sgd) {
  torch::serialize::InputArchive archive;
  archive.load_from(path);
  torch::serialize::InputArchive model_archive;
  archive.read("model", model_archive);
  model.load(model_archive);
  if (sgd != nullptr) {
    torch::serialize::InputArchive sgd_archive;
    archive.read("sgd", sgd_archive);
    sgd->load(sgd_archive);
  }
  CheckpointMeta meta;
  c10::IValue value;
  archive.read("next_epoch", value);
  meta.next_epoch = value.toInt();
  archive.read("best_score", value);
  meta.best_score = value.toDouble();
  archive.read("best_epoch", value);
  meta.best_epoch = value.toInt();
  archive.read("spec_fingerprint", value);
  meta.spec_fingerprint = value.toStringRef();
  archive.read("history_csv", value);
  meta.history_csv = value.toStringRef();
  if (archive.try_read("world_size", value)) meta.world_size = value.toInt();
  return meta;
}

}  // namespace wsol::train
