#include "wsol/train/trainer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "baselines/method_builder.h"
#include "datasets/dataset_paths.h"
#include "wsol/data/image_loader.h"
#include "wsol/metadata/metadata.h"
#include "wsol/data/image_transforms.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"
#include "wsol/backbones/backbone_registry.h"
#include "wsol/backbones/weight_import.h"
#include "wsol/cam/cam.h"
#include "wsol/metrics/box_accuracy.h"
#include "wsol/metrics/iou.h"
#include "wsol/metrics/pxap.h"
#include "wsol/metrics/npy.h"
#include "wsol/metrics/scoremap_boxes.h"
#include "wsol/metrics/split_scores.h"
#include "wsol/regularizers/regularizer_builder.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/results_io.h"
#include "wsol/train/training_state.h"
#include "wsol/util/progress.h"
#include "wsol/util/status_macros.h"
#include "wsol/util/file_io.h"

namespace wsol::train {
namespace {

namespace fs = std::filesystem;

constexpr char kCheckpoint[] = "checkpoint.pt";
constexpr char kBestModel[] = "best_model.pt";

// Runs `fn`, turning LibTorch's exceptions into a Status that names `what`.
template <typename Fn>
absl::Status Guard(const std::string& what, Fn&& fn) {
  try {
    fn();
    return absl::OkStatus();
  } catch (const c10::ValueError& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", e.what_without_backtrace()));
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat(what, ": ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(what, ": ", e.what()));
  }
}

// The floating-point type a run computes in (runtime.precision).
torch::Dtype ComputeType(const proto::Experiment& spec) {
  return spec.runtime().precision() == proto::Runtime::FLOAT64 ? torch::kDouble : torch::kFloat;
}

// Makes tensors created without an explicit type (parameters, buffers, a method's
// branches) use `dtype` while it lives. A float64 model must be initialized in float64:
// float32 initializers differ in their last bits between CPU kernels (the vectorized
// normal sampler), which training would amplify.
class ScopedDefaultDtype {
 public:
  explicit ScopedDefaultDtype(torch::Dtype dtype) : saved_(c10::get_default_dtype()) {
    c10::set_default_dtype(c10::scalarTypeToTypeMeta(dtype));
  }
  ~ScopedDefaultDtype() { c10::set_default_dtype(saved_); }
  ScopedDefaultDtype(const ScopedDefaultDtype&) = delete;
  ScopedDefaultDtype& operator=(const ScopedDefaultDtype&) = delete;

 private:
  caffe2::TypeMeta saved_;
};

// A CPU map of the model's type, wrapped for the metrics (CV_32F or CV_64F, no copy).
cv::Mat MapView(const torch::Tensor& map) {
  const int rows = static_cast<int>(map.size(0)), cols = static_cast<int>(map.size(1));
  if (map.scalar_type() == torch::kDouble) return cv::Mat(rows, cols, CV_64F, map.data_ptr<double>());
  return cv::Mat(rows, cols, CV_32F, map.data_ptr<float>());
}

torch::Device ResolveDevice(const std::string& device) {
  if (device == "cuda" || (device == "auto" && torch::cuda::is_available())) {
    return torch::Device(torch::kCUDA);
  }
  return torch::Device(torch::kCPU);
}

// One split's images with the localization each metric needs.
struct EvalSplit {
  metadata::SplitMetadata split;     // Boxes (or masks for mask-only data).
  std::vector<std::vector<std::string>> mask_paths;  // Per image; empty: no masks.
  std::vector<std::string> ignore_paths;
  bool has_boxes = false;
  bool has_masks = false;
};

absl::StatusOr<EvalSplit> ReadEvalSplit(const proto::Dataset& dataset,
                                        const datasets::DatasetPaths& paths,
                                        const std::string& split_name) {
  EvalSplit out;
  metadata::ReadOptions read{.num_classes = dataset.num_classes(), .require_localization = true};
  WSOL_ASSIGN_OR_RETURN(out.split, metadata::ReadSplitMetadata(
                                       (fs::path(paths.metadata_root) / split_name).string(), read));
  out.mask_paths.resize(out.split.images.size());
  out.ignore_paths.resize(out.split.images.size());
  auto take_masks = [&](const metadata::SplitMetadata& masks) -> absl::Status {
    std::map<std::string, const metadata::ImageRecord*> by_id;
    for (const auto& r : masks.images) by_id[r.image_id] = &r;
    for (size_t i = 0; i < out.split.images.size(); ++i) {
      auto it = by_id.find(out.split.images[i].image_id);
      if (it == by_id.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(masks.folder, ": image ", out.split.images[i].image_id,
                         " of ", out.split.folder, " has no mask entry"));
      }
      out.mask_paths[i] = it->second->mask_paths;
      out.ignore_paths[i] = it->second->ignore_path;
    }
    out.has_masks = true;
    return absl::OkStatus();
  };
  if (out.split.kind == metadata::LocalizationKind::kBoxes) out.has_boxes = true;
  if (out.split.kind == metadata::LocalizationKind::kMasks) WSOL_RETURN_IF_ERROR(take_masks(out.split));
  if (!paths.mask_metadata_root.empty() && paths.mask_metadata_root != paths.metadata_root) {
    const fs::path mask_folder = fs::path(paths.mask_metadata_root) / split_name;
    if (fs::exists(mask_folder)) {
      WSOL_ASSIGN_OR_RETURN(metadata::SplitMetadata masks,
                            metadata::ReadSplitMetadata(mask_folder.string(), read));
      WSOL_RETURN_IF_ERROR(take_masks(masks));
    }
  }
  return out;
}

data::LoaderOptions MakeLoaderOptions(const proto::Experiment& spec,
                                          const datasets::DatasetPaths& paths, bool train) {
  data::LoaderOptions o;
  o.image_root = paths.image_root;
  o.transform.train = train;
  o.transform.resize_size = spec.dataset().resize_size();
  o.transform.crop_size = spec.dataset().crop_size();
  o.transform.eval_size = spec.dataset().eval_size();
  o.batch_size = spec.optimizer().batch_size();
  o.shuffle = train;
  o.num_workers = std::max(1, spec.runtime().loader_workers());
  o.seed = spec.runtime().seed();
  o.skip_bad_images = spec.dataset().skip_bad_images();
  return o;
}

// Label distributions: one-hot rows, or the uniform mix of an image's labels.
torch::Tensor TargetDistributions(const data::Batch& batch, int64_t num_classes) {
  torch::Tensor targets = torch::zeros({batch.size(), num_classes});
  auto acc = targets.accessor<float, 2>();
  for (int64_t i = 0; i < batch.size(); ++i) {
    const auto& labels = batch.all_labels[i];
    for (int label : labels) acc[i][label] += 1.0f / static_cast<float>(labels.size());
  }
  return targets;
}

struct Built {
  std::shared_ptr<WsolModel> model;
  std::unique_ptr<regularizers::Regularizer> regularizer;
  std::unique_ptr<torch::optim::SGD> sgd;
  SgdSettings sgd_settings;
};

absl::StatusOr<Built> BuildModel(const proto::Experiment& spec, torch::Device device) {
  Built built;
  const ScopedDefaultDtype dtype(ComputeType(spec));
  WSOL_ASSIGN_OR_RETURN(std::shared_ptr<methods::Method> method,
                        baselines::BuildMethod(spec.method()));
  WSOL_ASSIGN_OR_RETURN(built.regularizer, regularizers::BuildRegularizer(spec.regularizer()));
  std::shared_ptr<backbones::Backbone> backbone;
  WSOL_RETURN_IF_ERROR(Guard("backbone", [&] {
    torch::manual_seed(spec.runtime().seed());
    backbone = backbones::CreateBackbone(
        spec.backbone().architecture(),
        {.num_classes = spec.dataset().num_classes(),
         .width_multiplier = spec.backbone().width_multiplier(),
         .large_feature_map = spec.backbone().large_feature_map()});
  }));
  if (!spec.backbone().pretrained_path().empty()) {
    backbones::ImportReport report;
    WSOL_RETURN_IF_ERROR(Guard(spec.backbone().pretrained_path(), [&] {
      report = backbones::ImportCheckpoint(spec.backbone().pretrained_path(), *backbone, {});
    }));
    std::cerr << report.Summary();
    if (!report.ok) {
      return absl::InvalidArgumentError(absl::StrCat("backbone.pretrained_path = ",
                                                     spec.backbone().pretrained_path(),
                                                     ": weights do not fit:\n", report.Summary()));
    }
  }
  WSOL_RETURN_IF_ERROR(Guard("model", [&] {
    built.model = std::make_shared<WsolModel>(backbone, method, spec.dataset().num_classes());
    built.model->to(device, ComputeType(spec));
    const proto::Optimizer& o = spec.optimizer();
    built.sgd_settings = {.lr = o.lr(),
                          .momentum = o.momentum(),
                          .nesterov = o.nesterov(),
                          .weight_decay = o.weight_decay(),
                          .classifier_lr_multiplier = o.classifier_lr_multiplier(),
                          .decay_every_epochs = o.decay_every_epochs(),
                          .decay_factor = o.decay_factor()};
    built.sgd = MakeSgd(*built.model, built.sgd_settings);
  }));
  return built;
}

// The name of a saved score map: <id>.npy, or <id>_<label>.npy for multi-label data (one
// map per label), what //tools:evaluate reads.
std::string ScoremapName(const std::string& image_id, bool multi_label, int label) {
  return multi_label ? absl::StrCat(image_id, "_", label, ".npy") : image_id + ".npy";
}

// Scores the model on one split: classification, entropy and every localization metric
// the annotations allow (mPxAP too for multi-label masks: one CAM per label, each against
// that label's own mask).
absl::StatusOr<proto::SplitMetrics> Evaluate(WsolModel& model, data::ImageLoader& loader,
                                             const EvalSplit& eval, const proto::Experiment& spec,
                                             const datasets::DatasetPaths& paths,
                                             torch::Device device, bool full, bool progress,
                                             const std::string& label,
                                             const std::string& scoremap_dir = "") {
  const proto::Evaluation& e = spec.evaluation();
  const int size = spec.dataset().eval_size();
  std::vector<int> ious(e.iou_thresholds().begin(), e.iou_thresholds().end());
  if (ious.empty()) ious = {30, 50, 70};
  const bool multi_label = spec.dataset().multi_label();
  const bool per_label_maps = multi_label && eval.has_masks;
  std::optional<metrics::SplitScores> scores;
  if (eval.has_boxes || eval.has_masks) {
    WSOL_ASSIGN_OR_RETURN(
        metrics::SplitScores created,
        metrics::SplitScores::Create({.cam_curve_interval = e.cam_curve_interval(),
                                      .iou_thresholds = ious,
                                      .multi_contour = e.multi_contour_eval(),
                                      .sigma = e.box_threshold(),
                                      .boxes = eval.has_boxes,
                                      .masks = eval.has_masks,
                                      .max_box_acc = full,
                                      .multi_label = per_label_maps,
                                      .num_classes = spec.dataset().num_classes()}));
    scores.emplace(std::move(created));
  }

  torch::NoGradGuard no_grad;
  model.eval();
  const torch::Dtype dtype = ComputeType(spec);
  loader.StartEpoch(0);
  int64_t images = 0, correct = 0;
  double entropy_sum = 0;
  ProgressBar bar(label, loader.num_batches(), "img", progress);
  while (true) {
    WSOL_ASSIGN_OR_RETURN(std::optional<data::Batch> batch, loader.Next());
    if (!batch) break;
    const int64_t n = batch->size();
    // The CAM of each image's first label; with per-label maps, then of its k-th label
    // for every image that has one (the same images, forward again).
    std::vector<std::vector<torch::Tensor>> maps(n);
    torch::Tensor logp;
    WSOL_RETURN_IF_ERROR(Guard(label, [&] {
      const torch::Tensor input = batch->images.to(device, dtype);
      methods::Inference inference =
          model.method().Infer(model.backbone(), input, batch->labels.to(device));
      logp = torch::log_softmax(inference.logits.to(torch::kCPU, dtype), 1);
      const torch::Tensor first =
          cam::ResizeAndNormalize(inference.cams.to(torch::kCPU, dtype), size, size).contiguous();
      for (int64_t i = 0; i < n; ++i) maps[i].push_back(first[i]);
      for (size_t k = 1; per_label_maps; ++k) {
        std::vector<int64_t> rows, classes;
        for (int64_t i = 0; i < n; ++i) {
          if (batch->all_labels[i].size() > k) {
            rows.push_back(i);
            classes.push_back(batch->all_labels[i][k]);
          }
        }
        if (rows.empty()) break;
        const torch::Tensor index = torch::tensor(rows, torch::kLong);
        methods::Inference more = model.method().Infer(
            model.backbone(), input.index_select(0, index.to(device)),
            torch::tensor(classes, torch::kLong).to(device));
        const torch::Tensor kth =
            cam::ResizeAndNormalize(more.cams.to(torch::kCPU, dtype), size, size).contiguous();
        for (size_t r = 0; r < rows.size(); ++r) maps[rows[r]].push_back(kth[r]);
      }
    }));
    entropy_sum += (-(logp.exp() * logp).sum(1)).sum().item<double>();
    // Read on the CPU once per batch, not a tensor per image.
    const torch::Tensor predicted_cpu = logp.argmax(1).to(torch::kLong).contiguous();
    const int64_t* predicted_class = predicted_cpu.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
      const int64_t index = batch->indices[i];
      const std::vector<int>& labels = batch->all_labels[i];
      const bool right =
          multi_label ? std::count(labels.begin(), labels.end(), predicted_class[i]) > 0
                      : predicted_class[i] == labels.front();
      correct += right;
      const metadata::ImageRecord& record = eval.split.images[index];
      std::vector<cv::Mat> views;
      for (const torch::Tensor& map : maps[i]) views.push_back(MapView(map));
      if (!scoremap_dir.empty()) {
        for (size_t k = 0; k < views.size(); ++k) {
          WSOL_RETURN_IF_ERROR(metrics::WriteNpy(
              (fs::path(scoremap_dir) / ScoremapName(record.image_id, per_label_maps, labels[k]))
                  .string(),
              views[k]));
        }
      }
      if (!scores) continue;
      metrics::ImageTruth truth;
      truth.labels = labels;
      for (const metrics::Box& b : record.boxes) {
        truth.boxes.push_back(metrics::RescaleBox(b, {record.width, record.height}, {size, size}));
      }
      if (eval.has_masks) {
        const std::vector<std::string>& mask_paths = eval.mask_paths[index];
        if (per_label_maps && mask_paths.size() != labels.size()) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "image %s has %d labels but %d masks; multi-label data needs one mask per "
              "label, in label order",
              record.image_id, labels.size(), mask_paths.size()));
        }
        for (size_t k = 0; k < (per_label_maps ? labels.size() : 1); ++k) {
          const std::vector<std::string> these =
              per_label_maps ? std::vector<std::string>{mask_paths[k]} : mask_paths;
          WSOL_ASSIGN_OR_RETURN(cv::Mat mask,
                                metrics::LoadGtMask(paths.mask_root, these,
                                                    eval.ignore_paths[index], {size, size}));
          truth.masks.push_back(std::move(mask));
        }
      }
      if (absl::Status added = scores->Add(truth, views, right); !added.ok()) {
        return absl::Status(added.code(),
                            absl::StrCat("image ", record.image_id, ": ", added.message()));
      }
    }
    images += n;
    bar.Advance(n);
  }
  bar.Finish();
  if (images == 0) return absl::FailedPreconditionError(absl::StrCat(label, ": no images"));
  proto::SplitMetrics m;
  m.set_images(static_cast<int32_t>(images));
  m.set_top1_cls(100.0 * correct / images);
  m.set_mean_entropy(entropy_sum / images);
  m.set_has_boxes(eval.has_boxes);
  m.set_has_masks(eval.has_masks);
  if (!scores) return m;
  WSOL_ASSIGN_OR_RETURN(metrics::SplitScoresResult r, scores->Compute());
  if (r.max_box_acc_v2) {
    const metrics::BoxAccuracyResult& r2 = *r.max_box_acc_v2;
    for (size_t i = 0; i < r2.iou_thresholds.size(); ++i) {
      m.add_iou_thresholds(r2.iou_thresholds[i]);
      m.add_max_box_acc_v2_per_iou(r2.max_box_acc[i]);
    }
    m.set_max_box_acc_v2(r2.max_box_acc_mean);
  }
  if (r.max_box_acc) {
    const metrics::BoxAccuracyResult& r1 = *r.max_box_acc;
    m.set_max_box_acc(r1.max_box_acc[0]);
    m.set_gt_known_loc(r1.gt_known_loc_at_sigma);
    m.set_top1_loc(r1.top1_loc_at_sigma);
    m.set_gt_known_loc_best(r1.gt_known_loc_at_best);
    m.set_top1_loc_best(r1.top1_loc_at_best);
    m.set_best_threshold(r1.best_loc_cam_threshold);
  }
  if (r.pxap) m.set_pxap(r.pxap->pxap);
  if (r.mean_pxap) m.set_mpxap(r.mean_pxap->mean_pxap);
  return m;
}

// Model selection's score: MaxBoxAccV2 for boxes, mPxAP for multi-label masks, else PxAP.
double LocalizationScore(const proto::SplitMetrics& m) {
  if (m.has_boxes()) return m.max_box_acc_v2();
  return m.has_mpxap() ? m.mpxap() : m.pxap();
}

std::string HistoryHeader() {
  return "epoch,learning_rate,train_loss,train_regularization,train_top1,val_top1_cls,"
         "val_localization,val_entropy,seconds\n";
}

std::string HistoryLine(const proto::EpochRecord& r) {
  return absl::StrFormat("%d,%.6g,%.8f,%.8g,%.6f,%.6f,%.6f,%.8f,%.2f\n", r.epoch(),
                         r.learning_rate(), r.train_loss(), r.train_regularization(),
                         r.train_top1(), r.val_top1_cls(), r.val_localization(), r.val_entropy(),
                         r.seconds());
}

// Parses history.csv text back into records (results.json lists exactly what
// history.csv holds, whether or not the run was resumed).
void ParseHistory(const std::string& csv, proto::RunResults* results) {
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(lines[i], ',');
    if (f.size() != 9) continue;
    double v[9];
    for (int k = 0; k < 9; ++k) v[k] = std::stod(f[k]);
    proto::EpochRecord* r = results->add_history();
    r->set_epoch(static_cast<int>(v[0]));
    r->set_learning_rate(v[1]);
    r->set_train_loss(v[2]);
    r->set_train_regularization(v[3]);
    r->set_train_top1(v[4]);
    r->set_val_top1_cls(v[5]);
    r->set_val_localization(v[6]);
    r->set_val_entropy(v[7]);
    r->set_seconds(v[8]);
  }
}

}  // namespace

std::string RunDirectory(const proto::Experiment& spec, const std::string& cache_dir) {
  if (!spec.runtime().output_dir().empty()) return spec.runtime().output_dir();
  return (fs::path(cache_dir) / "runs" / spec::ResultFingerprint(spec)).string();
}

absl::StatusOr<proto::RunResults> RunExperiment(const proto::Experiment& spec,
                                                const TrainerOptions& options) {
  WSOL_RETURN_IF_ERROR(spec::ValidateExperiment(spec));
  const int threads = spec.runtime().threads() > 0
                          ? spec.runtime().threads()
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  const torch::Device device = ResolveDevice(spec.runtime().device());
  if (spec.runtime().device() == "cuda" && !torch::cuda::is_available()) {
    return absl::FailedPreconditionError(
        "runtime.device = \"cuda\" but this LibTorch sees no CUDA device (build against a CUDA "
        "LibTorch with LIBTORCH_HOME, see README)");
  }

  // Data.
  WSOL_ASSIGN_OR_RETURN(datasets::DatasetPaths paths,
                        datasets::ResolveDatasetPaths(spec.dataset(), options.cache_dir));
  const int64_t num_classes = spec.dataset().num_classes();
  WSOL_ASSIGN_OR_RETURN(
      metadata::SplitMetadata train_split,
      metadata::ReadSplitMetadata(
          (fs::path(paths.metadata_root) / spec.dataset().train_split()).string(),
          {.num_classes = static_cast<int>(num_classes), .require_localization = false}));
  std::set<int> seen;
  for (const auto& r : train_split.images) seen.insert(r.labels.begin(), r.labels.end());
  if (static_cast<int64_t>(seen.size()) != num_classes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "dataset.num_classes = %d but the training split %s has %d classes", num_classes,
        train_split.folder, seen.size()));
  }
  WSOL_ASSIGN_OR_RETURN(EvalSplit val, ReadEvalSplit(spec.dataset(), paths, spec.evaluation().selection_split() == "test" ? spec.dataset().test_split() : spec.dataset().val_split()));
  WSOL_ASSIGN_OR_RETURN(EvalSplit test, ReadEvalSplit(spec.dataset(), paths, spec.dataset().test_split()));

  WSOL_ASSIGN_OR_RETURN(std::unique_ptr<data::ImageLoader> train_loader,
                        data::ImageLoader::Create(train_split, MakeLoaderOptions(spec, paths, true)));
  WSOL_ASSIGN_OR_RETURN(std::unique_ptr<data::ImageLoader> val_loader,
                        data::ImageLoader::Create(val.split, MakeLoaderOptions(spec, paths, false)));
  WSOL_ASSIGN_OR_RETURN(std::unique_ptr<data::ImageLoader> test_loader,
                        data::ImageLoader::Create(test.split, MakeLoaderOptions(spec, paths, false)));

  WSOL_ASSIGN_OR_RETURN(Built built, BuildModel(spec, device));
  WsolModel& model = *built.model;

  if (options.validate_only) {
    // One forward pass on a real batch proves the data and model fit together.
    train_loader->StartEpoch(0);
    WSOL_ASSIGN_OR_RETURN(std::optional<data::Batch> batch, train_loader->Next());
    if (!batch) return absl::FailedPreconditionError("training split is empty");
    WSOL_RETURN_IF_ERROR(Guard("validation forward pass", [&] {
      torch::NoGradGuard no_grad;
      model.eval();
      model.backbone().Forward(batch->images.to(device));
    }));
    return proto::RunResults();
  }

  const std::string run_dir = RunDirectory(spec, options.cache_dir);
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat(run_dir, ": ", ec.message()));
  const std::string fingerprint = spec::ResultFingerprint(spec);
  const std::string checkpoint_path = (fs::path(run_dir) / kCheckpoint).string();
  const std::string best_path = (fs::path(run_dir) / kBestModel).string();
  WSOL_RETURN_IF_ERROR(wsol::WriteFileAtomically((fs::path(run_dir) / "spec.pbtxt").string(),
                                           spec.DebugString()));

  CheckpointMeta meta;
  meta.spec_fingerprint = fingerprint;
  meta.history_csv = HistoryHeader();
  proto::RunResults results;
  if (fs::exists(checkpoint_path)) {
    CheckpointMeta loaded;
    absl::Status status = Guard(checkpoint_path, [&] {
      loaded = LoadCheckpoint(checkpoint_path, model, built.sgd.get());
    });
    if (!status.ok()) {
      return absl::DataLossError(absl::StrCat("cannot resume: ", status.message(),
                                              " (delete the run folder to start over)"));
    }
    if (loaded.spec_fingerprint != fingerprint) {
      return absl::FailedPreconditionError(absl::StrCat(
          run_dir, " holds a checkpoint of another spec (", loaded.spec_fingerprint, " vs ",
          fingerprint, "); use another runtime.output_dir or delete it"));
    }
    meta = loaded;
    std::cerr << absl::StrFormat("resuming %s at epoch %d\n", run_dir, meta.next_epoch + 1);
  }
  const int epochs = spec.optimizer().epochs();
  const uint64_t seed = spec.runtime().seed();
  const torch::Dtype dtype = ComputeType(spec);
  for (int epoch = static_cast<int>(meta.next_epoch); epoch < epochs; ++epoch) {
    const absl::Time epoch_start = absl::Now();
    SetEpochLearningRate(*built.sgd, built.sgd_settings, epoch);
    // Everything random in an epoch derives from (seed, epoch), so a resumed run draws
    // exactly what an uninterrupted one would.
    torch::manual_seed(seed * 1000003ULL + static_cast<uint64_t>(epoch));
    std::mt19937_64 rng(seed * 1000003ULL + static_cast<uint64_t>(epoch) + 17);
    model.train();
    train_loader->StartEpoch(epoch);
    double loss_sum = 0, reg_sum = 0;
    int64_t seen_images = 0, correct = 0, step = 0;
    ProgressBar bar(absl::StrFormat("epoch %d/%d", epoch + 1, epochs), train_loader->num_batches(),
                    "img", options.progress);
    while (true) {
      WSOL_ASSIGN_OR_RETURN(std::optional<data::Batch> batch, train_loader->Next());
      if (!batch) break;
      ++step;
      methods::StepOutput out;
      WSOL_RETURN_IF_ERROR(Guard(absl::StrCat("epoch ", epoch + 1, " step ", step), [&] {
        torch::Tensor targets = TargetDistributions(*batch, num_classes).to(device, dtype);
        built.sgd->zero_grad();
        out = model.method().TrainingStep(model.backbone(), batch->images.to(device, dtype),
                                          targets, *built.regularizer, rng);
      }));
      const double loss = out.loss.total.item<double>();
      if (!std::isfinite(loss)) {
        return absl::InternalError(absl::StrFormat(
            "non-finite loss at epoch %d step %d: total %g, classification %g, "
            "regularization %g; the last good checkpoint is kept in %s",
            epoch + 1, step, loss, out.loss.classification.item<double>(),
            out.loss.regularization.item<double>(), run_dir));
      }
      WSOL_RETURN_IF_ERROR(Guard(absl::StrCat("epoch ", epoch + 1, " step ", step), [&] {
        out.loss.total.backward();
        built.sgd->step();
      }));
      const int64_t n = batch->size();
      loss_sum += loss * n;
      reg_sum += out.loss.regularization.item<double>() * n;
      correct += out.logits.argmax(1).to(torch::kCPU).eq(batch->labels).sum().item<int64_t>();
      seen_images += n;
      bar.Advance(n, absl::StrFormat("loss %.4f acc %.1f%%", loss_sum / seen_images,
                                     100.0 * correct / seen_images));
    }
    bar.Finish();
    if (seen_images == 0) return absl::FailedPreconditionError("the training split yielded no batch");
    WSOL_ASSIGN_OR_RETURN(
        proto::SplitMetrics val_metrics,
        Evaluate(model, *val_loader, val, spec, paths, device, /*full=*/false, options.progress,
                 absl::StrFormat("  val %d/%d", epoch + 1, epochs)));
    const double score = LocalizationScore(val_metrics);
    proto::EpochRecord epoch_record;
    proto::EpochRecord* record = &epoch_record;
    record->set_epoch(epoch + 1);
    record->set_learning_rate(LearningRateForEpoch(built.sgd_settings, epoch));
    record->set_train_loss(loss_sum / seen_images);
    record->set_train_regularization(reg_sum / seen_images);
    record->set_train_top1(100.0 * correct / seen_images);
    record->set_val_top1_cls(val_metrics.top1_cls());
    record->set_val_localization(score);
    record->set_val_entropy(val_metrics.mean_entropy());
    record->set_seconds(absl::ToDoubleSeconds(absl::Now() - epoch_start));
    if (options.progress) {
      std::cerr << absl::StrFormat("  epoch %d: val top-1 %.2f%%, %s %.2f%%, entropy %.4f\n",
                                   epoch + 1, val_metrics.top1_cls(),
                                   val_metrics.has_boxes() ? "MaxBoxAccV2" : "PxAP", score,
                                   val_metrics.mean_entropy());
    }
    meta.history_csv += HistoryLine(*record);
    if (score > meta.best_score) {
      meta.best_score = score;
      meta.best_epoch = epoch + 1;
      WSOL_RETURN_IF_ERROR(Guard(best_path, [&] { SaveCheckpoint(best_path, model, nullptr, {}); }));
    }
    meta.next_epoch = epoch + 1;
    WSOL_RETURN_IF_ERROR(Guard(checkpoint_path, [&] {
      SaveCheckpoint(checkpoint_path, model, built.sgd.get(), meta);
    }));
    WSOL_RETURN_IF_ERROR(
        wsol::WriteFileAtomically((fs::path(run_dir) / "history.csv").string(), meta.history_csv));
    if (options.after_epoch) WSOL_RETURN_IF_ERROR(options.after_epoch(epoch + 1));
  }

  // The selected model on test: the best by validation localization, or the last one.
  const bool last = spec.evaluation().checkpoint_selection() == proto::Evaluation::LAST_EPOCH;
  if (!last) {
    WSOL_RETURN_IF_ERROR(Guard(best_path, [&] { LoadCheckpoint(best_path, model, nullptr); }));
  }
  results.set_evaluated_epoch(last ? epochs : static_cast<int>(meta.best_epoch));
  WSOL_ASSIGN_OR_RETURN(proto::SplitMetrics test_metrics,
                        Evaluate(model, *test_loader, test, spec, paths, device, /*full=*/true,
                                 options.progress, "  test",
                                 spec.evaluation().save_scoremaps()
                                     ? (fs::path(run_dir) / "scoremaps").string()
                                     : ""));
  test_metrics.set_split(spec.dataset().test_split());
  *results.mutable_test() = test_metrics;
  ParseHistory(meta.history_csv, &results);
  results.set_name(spec.name());
  results.set_spec_fingerprint(fingerprint);
  results.set_best_epoch(static_cast<int>(meta.best_epoch));
  results.set_skipped_images(static_cast<int>(train_loader->SkippedImages().size() +
                                              val_loader->SkippedImages().size() +
                                              test_loader->SkippedImages().size()));
  double seconds = 0;
  for (const auto& r : results.history()) seconds += r.seconds();
  results.set_train_seconds(seconds);
  results.set_device(device.str());
  WSOL_RETURN_IF_ERROR(WriteResults(results, run_dir));
  return results;
}

}  // namespace wsol::train

namespace wsol::train {

absl::StatusOr<std::vector<ImageExplanation>> ExplainTestImages(const proto::Experiment& spec,
                                                                const std::string& run_dir,
                                                                const std::string& cache_dir,
                                                                int count) {
  WSOL_ASSIGN_OR_RETURN(datasets::DatasetPaths paths,
                        datasets::ResolveDatasetPaths(spec.dataset(), cache_dir));
  WSOL_ASSIGN_OR_RETURN(EvalSplit test, ReadEvalSplit(spec.dataset(), paths, spec.dataset().test_split()));
  const torch::Device device(torch::kCPU);
  WSOL_ASSIGN_OR_RETURN(Built built, BuildModel(spec, device));
  // The model the run's test metrics come from.
  const bool last = spec.evaluation().checkpoint_selection() == proto::Evaluation::LAST_EPOCH;
  const std::string weights = (fs::path(run_dir) / (last ? kCheckpoint : kBestModel)).string();
  WSOL_RETURN_IF_ERROR(Guard(weights, [&] { LoadCheckpoint(weights, *built.model, nullptr); }));
  WsolModel& model = *built.model;
  model.eval();
  torch::NoGradGuard no_grad;

  const int size = spec.dataset().eval_size();
  data::TransformOptions transform;
  transform.train = false;
  transform.resize_size = spec.dataset().resize_size();
  transform.crop_size = spec.dataset().crop_size();
  transform.eval_size = size;
  const int64_t total = static_cast<int64_t>(test.split.images.size());
  std::vector<ImageExplanation> out;
  for (int k = 0; k < count && k < total; ++k) {
    const int64_t index = k * total / std::max(1, count);
    const metadata::ImageRecord& record = test.split.images[index];
    const std::string path = (fs::path(paths.image_root) / record.image_id).string();
    WSOL_ASSIGN_OR_RETURN(cv::Mat rgb, data::DecodeImage(path));
    torch::Tensor input = torch::empty({1, 3, size, size});
    data::TransformImage(rgb, transform, data::Augmentation{}, input.data_ptr<float>());
    ImageExplanation e;
    e.image_id = record.image_id;
    e.label = record.labels.front();
    torch::Tensor cam_map;
    std::vector<torch::Tensor> stages;
    WSOL_RETURN_IF_ERROR(Guard(record.image_id, [&] {
      methods::Inference inference =
          model.method().Infer(model.backbone(), input.to(ComputeType(spec)),
                               torch::tensor({int64_t{e.label}}));
      e.predicted = static_cast<int>(inference.logits.argmax(1).item<int64_t>());
      cam_map = cam::ResizeAndNormalize(inference.cams, size, size)[0].to(torch::kFloat).contiguous();
      for (const torch::Tensor& s : inference.stages) {
        stages.push_back(
            cam::NormalizeMinMax(s.mean(1)).squeeze(0).to(torch::kFloat).contiguous());
      }
    }));
    e.cam = cv::Mat(size, size, CV_32F, cam_map.data_ptr<float>()).clone();
    for (const torch::Tensor& s : stages) {
      e.stage_maps.push_back(
          cv::Mat(static_cast<int>(s.size(0)), static_cast<int>(s.size(1)), CV_32F,
                  s.data_ptr<float>()).clone());
    }
    cv::Mat resized;
    cv::resize(rgb, resized, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
    cv::cvtColor(resized, e.image_bgr, cv::COLOR_RGB2BGR);
    for (const metrics::Box& b : record.boxes) {
      e.gt_boxes.push_back(metrics::RescaleBox(b, {record.width, record.height}, {size, size}));
    }
    const double sigma = spec.evaluation().box_threshold();
    WSOL_ASSIGN_OR_RETURN(std::vector<std::vector<metrics::Box>> boxes,
                          metrics::BoxesFromScoremap(e.cam, {sigma}, metrics::ContourMode::kLargest));
    e.predicted_box = boxes.front().front();
    if (!e.gt_boxes.empty()) e.iou = metrics::MaxIou({e.predicted_box}, e.gt_boxes);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace wsol::train
