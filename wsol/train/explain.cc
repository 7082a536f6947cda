#include "wsol/train/explain.h"

#include <torch/types.h>

#include <algorithm>
#include <filesystem>

#include "opencv2/imgproc.hpp"
#include "wsol/cam/cam.h"
#include "wsol/data/image_transforms.h"
#include "wsol/metrics/iou.h"
#include "wsol/metrics/scoremap_boxes.h"
#include "wsol/train/run_builder.h"
#include "wsol/train/run_folder.h"
#include "wsol/train/training_state.h"
#include "wsol/util/status_macros.h"
#include "wsol/util/torch_status.h"
#include "wsol/util/zip_check.h"

namespace wsol::train {

namespace fs = std::filesystem;

namespace {

// The run's trained model on the CPU: the weights its test metrics come from.
absl::StatusOr<Model> LoadScoredModel(const proto::Experiment& on_cpu, const std::string& run_dir,
                                      const Components& components) {
  WSOL_ASSIGN_OR_RETURN(Model built, BuildModel(on_cpu, components));
  const RunFolder folder(run_dir);
  const bool last = on_cpu.evaluation().checkpoint_selection() == proto::Evaluation::LAST_EPOCH;
  const std::string weights = last ? folder.checkpoint() : folder.best_model();
  WSOL_RETURN_IF_ERROR(VerifyZipChecksums(weights));
  WSOL_RETURN_IF_ERROR(
      TorchStatus(weights, [&] { LoadCheckpoint(weights, *built.model, nullptr); }));
  built.model->eval();
  return built;
}

// One test image explained: its CAM, its stages' maps, its boxes.
absl::StatusOr<ImageExplanation> Explain(WsolModel& model, const metadata::ImageRecord& record,
                                         const std::string& image_root, const RunSettings& settings,
                                         double sigma) {
  const data::TransformOptions& transform = settings.eval_transform;
  const int size = transform.eval_size;
  WSOL_ASSIGN_OR_RETURN(cv::Mat rgb,
                        data::DecodeImage((fs::path(image_root) / record.image_id).string()));
  torch::Tensor input = torch::empty({1, 3, size, size});
  data::TransformImage(rgb, transform, data::Augmentation{}, input.data_ptr<float>());
  ImageExplanation e;
  e.image_id = record.image_id;
  e.label = record.labels.front();
  torch::Tensor cam_map;
  std::vector<torch::Tensor> stages;
  WSOL_RETURN_IF_ERROR(TorchStatus(record.image_id, [&] {
    methods::Inference inference = model.method().Infer(model.backbone(), input.to(settings.dtype),
                                                        torch::tensor({int64_t{e.label}}));
    e.predicted = static_cast<int>(inference.logits.argmax(1).item<int64_t>());
    cam_map = cam::ResizeAndNormalize(inference.cams, size, size)[0].to(torch::kFloat).contiguous();
    for (const torch::Tensor& s : inference.stages) {
      stages.push_back(cam::NormalizeMinMax(s.mean(1)).squeeze(0).to(torch::kFloat).contiguous());
    }
  }));
  e.cam = cv::Mat(size, size, CV_32F, cam_map.data_ptr<float>()).clone();
  for (const torch::Tensor& s : stages) {
    e.stage_maps.push_back(cv::Mat(static_cast<int>(s.size(0)), static_cast<int>(s.size(1)), CV_32F,
                                   s.data_ptr<float>())
                               .clone());
  }
  cv::Mat resized;
  cv::resize(rgb, resized, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
  cv::cvtColor(resized, e.image_bgr, cv::COLOR_RGB2BGR);
  for (const metrics::Box& b : record.boxes) {
    e.gt_boxes.push_back(metrics::RescaleBox(b, {record.width, record.height}, {size, size}));
  }
  WSOL_ASSIGN_OR_RETURN(std::vector<std::vector<metrics::Box>> boxes,
                        metrics::BoxesFromScoremap(e.cam, {sigma}, metrics::ContourMode::kLargest));
  e.predicted_box = boxes.front().front();
  if (!e.gt_boxes.empty()) e.iou = metrics::MaxIou({e.predicted_box}, e.gt_boxes);
  return e;
}

}  // namespace

absl::StatusOr<std::vector<ImageExplanation>> ExplainTestImages(const proto::Experiment& spec,
                                                                const std::string& run_dir,
                                                                const ExplainOptions& options,
                                                                int count) {
  if (!options.components.load_splits) {
    return absl::FailedPreconditionError("no data source given (Components)");
  }
  WSOL_ASSIGN_OR_RETURN(data::Splits splits,
                        options.components.load_splits(
                            spec.dataset(), {.cache_dir = options.cache_dir, .with_val = false}));
  proto::Experiment on_cpu = spec;
  on_cpu.mutable_runtime()->set_device("cpu");
  WSOL_ASSIGN_OR_RETURN(Model built, LoadScoredModel(on_cpu, run_dir, options.components));
  torch::NoGradGuard no_grad;
  const RunSettings settings = RunSettingsFor(on_cpu);
  const int64_t total = static_cast<int64_t>(splits.test.images.images.size());
  std::vector<ImageExplanation> out;
  for (int k = 0; k < count && k < total; ++k) {
    const int64_t index = k * total / std::max(1, count);
    WSOL_ASSIGN_OR_RETURN(ImageExplanation e,
                          Explain(*built.model, splits.test.images.images[index], splits.image_root,
                                  settings, spec.evaluation().box_threshold()));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace wsol::train
