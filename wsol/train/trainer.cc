#include "wsol/train/trainer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>
#include <vector>

#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "opencv2/core.hpp"
#include "wsol/cam/cam.h"
#include "wsol/evaluation/split_evaluator.h"
#include "wsol/metrics/npy.h"
#include "wsol/regularizers/regularizer.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/distributed.h"
#include "wsol/train/run_builder.h"
#include "wsol/train/run_folder.h"
#include "wsol/train/train_step.h"
#include "wsol/train/training_state.h"
#include "wsol/util/progress.h"
#include "wsol/util/status_macros.h"
#include "wsol/util/file_io.h"
#include "wsol/util/file_lock.h"
#include "wsol/util/torch_status.h"
#include "wsol/util/zip_check.h"

namespace wsol::train {
namespace {

namespace fs = std::filesystem;

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

// A CPU map of the model's type, wrapped for the metrics (CV_32F or CV_64F, no copy).
cv::Mat MapView(const torch::Tensor& map) {
  const int rows = static_cast<int>(map.size(0)), cols = static_cast<int>(map.size(1));
  if (map.scalar_type() == torch::kDouble) return cv::Mat(rows, cols, CV_64F, map.data_ptr<double>());
  return cv::Mat(rows, cols, CV_32F, map.data_ptr<float>());
}

// Scores the model on one split: classification, entropy and every localization metric
// the annotations allow (mPxAP too for multi-label masks: one CAM per label, each against
// that label's own mask). Saves the maps into `scoremap_dir` when it is not empty.
// `split` is this process's part (Run::*_part) of a split of `total` images; with `comm`
// the ranks' counts and per-image entropies are summed, so every rank returns exactly what
// one process scoring the whole split would.
absl::StatusOr<proto::SplitMetrics> Evaluate(Run& run, data::ImageLoader& loader,
                                             const data::EvalSplit& split, int64_t total,
                                             const evaluation::SplitEvaluatorOptions& options,
                                             Communicator* comm, bool progress,
                                             const std::string& label,
                                             const std::string& scoremap_dir = "") {
  const RunSettings& s = run.settings;
  WsolModel& model = *run.model.model;
  const int size = options.eval_size;
  const bool score = split.has_boxes || split.has_masks;
  std::optional<evaluation::SplitEvaluator> evaluator;
  if (score) {
    WSOL_ASSIGN_OR_RETURN(evaluation::SplitEvaluator created,
                          evaluation::SplitEvaluator::Create(split.images, options));
    evaluator.emplace(std::move(created));
  }
  const bool per_label_maps = options.multi_label && split.has_masks;

  torch::NoGradGuard no_grad;
  model.eval();
  loader.StartEpoch(0);
  int64_t images = 0, correct = 0;
  // Per image, at its position in the whole split, summed in that order at the end.
  std::vector<double> entropy(total, 0.0), off_target(total, 0.0);
  ProgressBar bar(label, loader.num_batches(), "img", progress);
  while (true) {
    WSOL_ASSIGN_OR_RETURN(std::optional<data::Batch> batch, loader.Next());
    if (!batch) break;
    const int64_t n = batch->size();
    // The CAM of each image's first label; with per-label maps, then of its k-th label
    // for every image that has one (the same images, forward again).
    std::vector<std::vector<torch::Tensor>> maps(n);
    torch::Tensor logp;
    WSOL_RETURN_IF_ERROR(TorchStatus(label, [&] {
      const torch::Tensor input = batch->images.to(s.device, s.dtype);
      methods::Inference inference =
          model.method().Infer(model.backbone(), input, batch->labels.to(s.device));
      logp = torch::log_softmax(inference.logits.to(torch::kCPU, s.dtype), 1);
      const torch::Tensor first =
          cam::ResizeAndNormalize(inference.cams.to(torch::kCPU, s.dtype), size, size).contiguous();
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
            model.backbone(), input.index_select(0, index.to(s.device)),
            torch::tensor(classes, torch::kLong).to(s.device));
        const torch::Tensor kth =
            cam::ResizeAndNormalize(more.cams.to(torch::kCPU, s.dtype), size, size).contiguous();
        for (size_t r = 0; r < rows.size(); ++r) maps[rows[r]].push_back(kth[r]);
      }
    }));
    const torch::Tensor image_entropy =
        (-(logp.exp() * logp).sum(1)).to(torch::kDouble).contiguous();
    // Read through accessors: a tensor index and item() per image cost a dispatch each.
    const torch::Tensor p_cpu = logp.exp().to(torch::kDouble).contiguous();
    const auto p_of = p_cpu.accessor<double, 2>();
    const auto entropy_of = image_entropy.accessor<double, 1>();
    for (int64_t i = 0; i < n; ++i) {
      const int64_t position = batch->indices[i] * run.world_size + run.rank;
      entropy[position] = entropy_of[i];
      double on_target = 0;
      for (int label : batch->all_labels[i]) on_target += p_of[i][label];
      off_target[position] = 1.0 - on_target;
    }
    // Read on the CPU once per batch, not a tensor per image.
    const torch::Tensor predicted_cpu = logp.argmax(1).to(torch::kLong).contiguous();
    const int64_t* predicted_class = predicted_cpu.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
      const int64_t index = batch->indices[i];
      const std::vector<int>& labels = batch->all_labels[i];
      const bool right =
          s.multi_label ? std::count(labels.begin(), labels.end(), predicted_class[i]) > 0
                        : predicted_class[i] == labels.front();
      correct += right;
      std::vector<cv::Mat> views;
      for (const torch::Tensor& map : maps[i]) views.push_back(MapView(map));
      if (!scoremap_dir.empty()) {
        const std::string& id = split.images.images[index].image_id;
        for (size_t k = 0; k < views.size(); ++k) {
          WSOL_RETURN_IF_ERROR(metrics::WriteNpy(
              (fs::path(scoremap_dir) /
               evaluation::SplitEvaluator::ScoremapName(id, per_label_maps, labels[k]))
                  .string(),
              views[k]));
        }
      }
      if (evaluator) WSOL_RETURN_IF_ERROR(evaluator->Add(index, views, right));
    }
    images += n;
    bar.Advance(n);
  }
  bar.Finish();
  if (comm != nullptr) {
    std::vector<torch::Tensor> sums = {
        torch::tensor({images, correct}, torch::kLong),
        torch::from_blob(entropy.data(), {total}, torch::kDouble).clone(),
        torch::from_blob(off_target.data(), {total}, torch::kDouble).clone()};
    if (evaluator) sums.push_back(torch::tensor(evaluator->Counts(), torch::kLong));
    WSOL_RETURN_IF_ERROR(comm->AllReduceSum(sums, label));
    images = sums[0][0].item<int64_t>();
    correct = sums[0][1].item<int64_t>();
    std::copy_n(sums[1].data_ptr<double>(), total, entropy.begin());
    std::copy_n(sums[2].data_ptr<double>(), total, off_target.begin());
    if (evaluator) {
      WSOL_ASSIGN_OR_RETURN(evaluation::SplitEvaluator merged,
                            evaluation::SplitEvaluator::Create(split.images, options));
      const torch::Tensor& counts = sums[3];
      WSOL_RETURN_IF_ERROR(merged.MergeCounts(
          absl::MakeConstSpan(counts.data_ptr<int64_t>(), counts.numel())));
      evaluator.emplace(std::move(merged));
    }
  }
  if (images == 0) return absl::FailedPreconditionError(absl::StrCat(label, ": no images"));
  double entropy_sum = 0, off_target_sum = 0;
  for (double e : entropy) entropy_sum += e;
  for (double m : off_target) off_target_sum += m;
  proto::SplitMetrics m;
  m.set_images(static_cast<int32_t>(images));
  m.set_top1_cls(100.0 * correct / images);
  m.set_mean_entropy(entropy_sum / images);
  m.set_mean_off_target_mass(off_target_sum / images);
  m.set_has_boxes(split.has_boxes);
  m.set_has_masks(split.has_masks);
  if (!evaluator) return m;
  WSOL_ASSIGN_OR_RETURN(metrics::SplitScoresResult r, evaluator->Compute());
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

// What one epoch of training adds up to.
struct EpochTotals {
  double loss_sum = 0, reg_sum = 0;
  double gradient_ratio_sum = 0;  // regularizers::GradientRatio, summed over the steps.
  int64_t images = 0, correct = 0, steps = 0;
};

// Past these the run has diverged, even while every number is still finite (float32
// holds 3e38): a trained network's parameters and gradients have an RMS far below 1, and
// its per-image loss is a few nats.
constexpr double kMaxWeightRms = 1e4;
constexpr double kMaxGradientRms = 1e4;
constexpr double kMaxTrainLoss = 1e4;

// The root mean square of the parameters, and of their gradients (of the last step;
// 0 when there are none), in double so that huge values do not overflow.
struct ModelNorms {
  double weight_rms = 0;
  double gradient_rms = 0;
};
ModelNorms Norms(WsolModel& model) {
  torch::NoGradGuard no_grad;
  double weights = 0, gradients = 0;
  int64_t count = 0;
  for (const torch::Tensor& p : model.parameters()) {
    weights += p.detach().to(torch::kDouble).square().sum().item<double>();
    if (p.grad().defined()) gradients += p.grad().to(torch::kDouble).square().sum().item<double>();
    count += p.numel();
  }
  const double n = static_cast<double>(std::max<int64_t>(count, 1));
  return {std::sqrt(weights / n), std::sqrt(gradients / n)};
}

// What is wrong with the model after an epoch whose mean training loss was `loss` ("" when
// nothing is): a non-finite or exploding loss, gradient or weight.
std::string Divergence(WsolModel& model, double loss) {
  const ModelNorms norms = Norms(model);
  auto bad = [](double value, double limit) { return !std::isfinite(value) || value > limit; };
  if (bad(norms.weight_rms, kMaxWeightRms)) {
    return absl::StrFormat("the weights' RMS is %g (diverged past %g)", norms.weight_rms,
                           kMaxWeightRms);
  }
  if (bad(norms.gradient_rms, kMaxGradientRms)) {
    return absl::StrFormat("the gradients' RMS is %g (diverged past %g)", norms.gradient_rms,
                           kMaxGradientRms);
  }
  if (bad(loss, kMaxTrainLoss)) {
    return absl::StrFormat("the mean training loss is %g (diverged past %g)", loss,
                           kMaxTrainLoss);
  }
  return "";
}

// Trains one epoch. Everything random in it derives from (seed, epoch), so a resumed run
// draws exactly what an uninterrupted one would.
// Data parallel (`sync`): each rank trains on its slice of every global batch, draws its
// own in-model randomness (rank 0 the single process's) and the totals are summed.
absl::StatusOr<EpochTotals> TrainEpoch(Run& run, int epoch, const std::string& run_dir,
                                       bool progress, Communicator* comm, StepSync* sync) {
  const RunSettings& s = run.settings;
  WsolModel& model = *run.model.model;
  SetEpochLearningRate(*run.sgd, s.sgd, epoch);
  const uint64_t stream =
      s.seed * 1000003ULL + static_cast<uint64_t>(epoch) + 7919ULL * static_cast<uint64_t>(run.rank);
  torch::manual_seed(stream);
  std::mt19937_64 rng(stream + 17);
  model.train();
  run.train_loader->StartEpoch(epoch);
  EpochTotals t;
  int64_t step = 0;
  ProgressBar bar(absl::StrFormat("epoch %d/%d", epoch + 1, s.epochs),
                  run.train_loader->num_batches(), "img", progress);
  while (true) {
    WSOL_ASSIGN_OR_RETURN(std::optional<data::Batch> batch, run.train_loader->Next());
    if (!batch) break;
    ++step;
    StepResult out;
    const absl::Status stepped =
        TorchStatus(absl::StrCat("epoch ", epoch + 1, " step ", step), [&] {
          const torch::Tensor targets =
              TargetDistributions(*batch, s.backbone.num_classes).to(s.device, s.dtype);
          out = TrainStep(model, *run.sgd, *run.model.regularizer,
                          batch->images.to(s.device, s.dtype), targets, rng, sync);
          if (out.finite) {
            t.gradient_ratio_sum +=
                regularizers::GradientRatio(*run.model.regularizer, out.logits, targets);
          }
        });
    // In a data-parallel job the step's collectives (some inside backward, where the
    // gradients are reduced) fail when another rank is gone: say so, whichever failed.
    if (!stepped.ok() && comm != nullptr) {
      return absl::UnavailableError(absl::StrCat(
          "distributed training step failed on rank ", run.rank,
          " (another rank died, hung or disconnected?): ", stepped.message()));
    }
    WSOL_RETURN_IF_ERROR(stepped);
    if (!out.finite) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "training diverged in epoch %d: a non-finite loss at step %d (total %g, "
          "classification %g, regularization %g); nothing of that epoch was saved (the last "
          "good checkpoint is kept in %s); try a lower optimizer.lr (now %g)",
          epoch + 1, step, out.loss, out.classification, out.regularization, run_dir,
          s.sgd.lr));
    }
    const int64_t n = batch->size();
    t.loss_sum += out.loss * n;
    t.reg_sum += out.regularization * n;
    t.correct += out.logits.argmax(1).to(torch::kCPU).eq(batch->labels).sum().item<int64_t>();
    t.images += n;
    ++t.steps;
    bar.Advance(n, absl::StrFormat("loss %.4f acc %.1f%%", t.loss_sum / t.images,
                                   100.0 * t.correct / t.images));
  }
  bar.Finish();
  if (comm != nullptr) {
    std::vector<torch::Tensor> sums = {
        torch::tensor({t.loss_sum, t.reg_sum, t.gradient_ratio_sum}, torch::kDouble),
        torch::tensor({t.images, t.correct, t.steps}, torch::kLong)};
    WSOL_RETURN_IF_ERROR(comm->AllReduceSum(sums, absl::StrCat("epoch ", epoch + 1, " totals")));
    t.loss_sum = sums[0][0].item<double>();
    t.reg_sum = sums[0][1].item<double>();
    t.gradient_ratio_sum = sums[0][2].item<double>();
    t.images = sums[1][0].item<int64_t>();
    t.correct = sums[1][1].item<int64_t>();
    t.steps = sums[1][2].item<int64_t>();
  }
  if (t.images == 0) return absl::FailedPreconditionError("the training split yielded no batch");
  return t;
}

// Writes a checkpoint (sgd and meta) or a best model (sgd null) atomically: a full disk
// is a named error, leaving the previous file and no temporary.
absl::Status SaveModel(const std::string& path, WsolModel& model, torch::optim::SGD* sgd,
                       const CheckpointMeta& meta) {
  std::string bytes;
  WSOL_RETURN_IF_ERROR(
      TorchStatus(path, [&] { bytes = SerializeCheckpoint(model, sgd, meta); }));
  return WriteFileAtomically(path, bytes);
}

// Every rank of a data-parallel job must train the same spec: each puts its fingerprint
// in its own slot, the sum gathers them, and every rank compares.
absl::Status CheckRanksAgree(Communicator& comm, const proto::Experiment& spec) {
  const std::string mine = spec::ResultFingerprint(spec);
  const uint64_t value = std::stoull(mine, nullptr, 16);
  std::vector<torch::Tensor> slots = {torch::zeros({comm.world_size(), 2}, torch::kLong)};
  slots[0][comm.rank()][0] = static_cast<int64_t>(value >> 32);
  slots[0][comm.rank()][1] = static_cast<int64_t>(value & 0xffffffffULL);
  WSOL_RETURN_IF_ERROR(comm.AllReduceSum(slots, "spec check"));
  auto at = [&](int r) {
    return (static_cast<uint64_t>(slots[0][r][0].item<int64_t>()) << 32) |
           static_cast<uint64_t>(slots[0][r][1].item<int64_t>());
  };
  for (int r = 0; r < comm.world_size(); ++r) {
    if (at(r) != at(0)) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "the ranks of this data-parallel job have different specs: rank %d's fingerprint "
          "is %016x, rank 0's %016x; start every rank with the same --spec and --set",
          r, at(r), at(0)));
    }
  }
  return absl::OkStatus();
}

// Restores an unfinished run of the same spec from its checkpoint.
absl::StatusOr<CheckpointMeta> Resume(Run& run, const RunFolder& folder,
                                      const std::string& fingerprint) {
  CheckpointMeta meta;
  meta.spec_fingerprint = fingerprint;
  meta.history_csv = RunFolder::HistoryCsv({});
  meta.world_size = run.world_size;
  if (!fs::exists(folder.checkpoint())) return meta;
  CheckpointMeta loaded;
  // LibTorch reads damaged tensor bytes without a word: check the file's checksums first.
  absl::Status status = VerifyZipChecksums(folder.checkpoint());
  if (status.ok()) {
    status = TorchStatus(folder.checkpoint(), [&] {
      loaded = LoadCheckpoint(folder.checkpoint(), *run.model.model, run.sgd.get());
    });
  }
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat("cannot resume: ", status.message(),
                                            " (delete the run folder to start over)"));
  }
  // A checkpoint is written only after its weights pass Divergence(); one from an older
  // build may not have been.
  if (const std::string wrong = Divergence(*run.model.model, 0); !wrong.empty()) {
    return absl::DataLossError(absl::StrCat(folder.checkpoint(), " cannot be resumed: ", wrong,
                                            "; delete the run folder to start over"));
  }
  if (loaded.spec_fingerprint != fingerprint) {
    return absl::FailedPreconditionError(absl::StrCat(
        folder.path(), " holds a checkpoint of another spec (", loaded.spec_fingerprint, " vs ",
        fingerprint, "); use another runtime.output_dir or delete it"));
  }
  // Another world size would train other batches per rank: an unfinished run resumes
  // only as it started (a finished one may be scored by any number of processes).
  if (loaded.next_epoch < run.settings.epochs && loaded.world_size != run.world_size) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s was written by a %d-process run at epoch %d; resume it with %d processes "
        "(--nproc_per_node or WORLD_SIZE) or delete the run folder",
        folder.checkpoint(), loaded.world_size, loaded.next_epoch, loaded.world_size));
  }
  if (run.rank == 0) {
    std::cerr << absl::StrFormat("resuming %s at epoch %d\n", folder.path(),
                                 loaded.next_epoch + 1);
  }
  loaded.world_size = run.world_size;
  return loaded;
}

}  // namespace

bool CudaAvailable() { return torch::cuda::is_available(); }

absl::StatusOr<proto::RunResults> RunExperiment(const proto::Experiment& spec,
                                                const TrainerOptions& options) {
  Communicator* comm = options.communicator;
  const int rank = comm != nullptr ? comm->rank() : 0;
  const BuildRunOptions build{.cache_dir = options.cache_dir,
                              .rank = rank,
                              .world_size = comm != nullptr ? comm->world_size() : 1};
  if (comm != nullptr) WSOL_RETURN_IF_ERROR(CheckRanksAgree(*comm, spec));
  // Rank 0 builds first: it generates any data not yet in the cache, which the other
  // ranks then read. Only rank 0 writes the run folder and shows progress.
  std::unique_ptr<Run> run;
  if (rank == 0) {
    WSOL_ASSIGN_OR_RETURN(run, BuildRun(spec, options.components, build));
  }
  if (comm != nullptr) WSOL_RETURN_IF_ERROR(comm->Barrier("data preparation"));
  if (rank != 0) {
    WSOL_ASSIGN_OR_RETURN(run, BuildRun(spec, options.components, build));
  }
  const bool writer = rank == 0;
  const bool progress = options.progress && writer;
  std::unique_ptr<StepSync> sync;
  const RunSettings& s = run->settings;
  WsolModel& model = *run->model.model;
  if (options.validate_only) {
    // One forward pass on a real batch proves the data and model fit together.
    run->train_loader->StartEpoch(0);
    WSOL_ASSIGN_OR_RETURN(std::optional<data::Batch> batch, run->train_loader->Next());
    if (!batch) return absl::FailedPreconditionError("training split is empty");
    WSOL_RETURN_IF_ERROR(TorchStatus("validation forward pass", [&] {
      torch::NoGradGuard no_grad;
      model.eval();
      model.backbone().Forward(batch->images.to(s.device, s.dtype));
    }));
    return proto::RunResults();
  }

  const RunFolder folder(RunFolder::PathFor(spec, options.cache_dir));
  // One process trains a run folder at a time (two tables sharing a cache, a table started
  // twice): the others are refused with the holder named, and the lock goes with the run.
  std::optional<FileLock> lock;
  if (writer) {
    WSOL_RETURN_IF_ERROR(folder.Create());
    WSOL_ASSIGN_OR_RETURN(lock, FileLock::Acquire(folder.lock()));
    // Ours now: what a killed writer left half-written goes.
    if (const int removed = RemoveStaleTemporaries(folder.path()); removed > 0) {
      std::cerr << absl::StrFormat("%s: removed %d temporary file(s) of ended processes\n",
                                   folder.path(), removed);
    }
    WSOL_RETURN_IF_ERROR(folder.WriteSpec(spec));
  }
  const std::string fingerprint = spec::ResultFingerprint(spec);
  WSOL_ASSIGN_OR_RETURN(CheckpointMeta meta, Resume(*run, folder, fingerprint));
  if (comm != nullptr) {
    WSOL_RETURN_IF_ERROR(TorchStatus("start", [&] {
      BroadcastModel(*comm, model);
      sync = MakeStepSync(*comm, model);
    }));
  }
  std::vector<proto::EpochRecord> history = RunFolder::ParseHistoryCsv(meta.history_csv);
  // The checkpoint holds the history: a deleted or damaged history.csv is written again.
  if (writer && !history.empty()) WSOL_RETURN_IF_ERROR(folder.WriteHistory(history));
  const auto size_of = [](const data::EvalSplit& split) {
    return static_cast<int64_t>(split.images.images.size());
  };

  for (int epoch = static_cast<int>(meta.next_epoch); epoch < s.epochs; ++epoch) {
    const absl::Time start = absl::Now();
    WSOL_ASSIGN_OR_RETURN(EpochTotals t,
                          TrainEpoch(*run, epoch, folder.path(), progress, comm, sync.get()));
    // Nothing of a diverged epoch is scored or saved (every rank holds the same weights).
    if (const std::string wrong = Divergence(model, t.loss_sum / t.images); !wrong.empty()) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "training diverged in epoch %d: %s; nothing of that epoch was saved (%s); try a "
          "lower optimizer.lr (now %g)",
          epoch + 1, wrong,
          epoch == 0 ? "no checkpoint yet"
                     : absl::StrCat("the checkpoint of epoch ", epoch, " is kept in ",
                                    folder.path()),
          s.sgd.lr));
    }
    WSOL_ASSIGN_OR_RETURN(
        proto::SplitMetrics selection,
        Evaluate(*run, *run->selection_loader, run->selection_part, size_of(run->selection()),
                 s.selection_evaluator, comm, progress,
                 absl::StrFormat("  val %d/%d", epoch + 1, s.epochs)));
    // The entropy of the predictions on training images, scored as the test images are.
    WSOL_ASSIGN_OR_RETURN(
        proto::SplitMetrics train_sample,
        Evaluate(*run, *run->train_sample_loader, run->train_sample_part,
                 size_of(run->train_sample), s.selection_evaluator, comm, progress,
                 absl::StrFormat("  train entropy %d/%d", epoch + 1, s.epochs)));
    const double score = LocalizationScore(selection);
    proto::EpochRecord& record = history.emplace_back();
    record.set_epoch(epoch + 1);
    record.set_learning_rate(AppliedLearningRate(*run->sgd));
    record.set_train_loss(t.loss_sum / t.images);
    record.set_train_regularization(t.reg_sum / t.images);
    record.set_train_top1(100.0 * t.correct / t.images);
    record.set_val_top1_cls(selection.top1_cls());
    record.set_val_localization(score);
    record.set_val_entropy(selection.mean_entropy());
    record.set_seconds(absl::ToDoubleSeconds(absl::Now() - start));
    record.set_train_entropy(train_sample.mean_entropy());
    record.set_train_classification((t.loss_sum - t.reg_sum) / t.images);
    record.set_train_off_target_mass(train_sample.mean_off_target_mass());
    record.set_regularizer_gradient_ratio(t.gradient_ratio_sum / std::max<int64_t>(t.steps, 1));
    if (progress) {
      std::cerr << absl::StrFormat("  epoch %d: val top-1 %.2f%%, %s %.2f%%, entropy %.4f\n",
                                   epoch + 1, selection.top1_cls(),
                                   selection.has_boxes() ? "MaxBoxAccV2" : "PxAP", score,
                                   selection.mean_entropy());
    }
    meta.history_csv = RunFolder::HistoryCsv(history);
    const bool best = score > meta.best_score;
    if (best) {
      meta.best_score = score;
      meta.best_epoch = epoch + 1;
    }
    meta.next_epoch = epoch + 1;
    // Every rank holds the same weights and meta (the metrics are merged); rank 0 writes.
    if (writer) {
      if (best) {
        WSOL_RETURN_IF_ERROR(SaveModel(folder.best_model(), model, nullptr, {}));
      }
      WSOL_RETURN_IF_ERROR(SaveModel(folder.checkpoint(), model, run->sgd.get(), meta));
      WSOL_RETURN_IF_ERROR(folder.WriteHistory(history));
    }
    if (options.after_epoch) WSOL_RETURN_IF_ERROR(options.after_epoch(epoch + 1));
  }
  // The other ranks read what rank 0 wrote last (best_model.pt) only after it is written.
  if (comm != nullptr) WSOL_RETURN_IF_ERROR(comm->Barrier("end of training"));

  // The selected model on test: the last one, or the best by validation localization.
  if (!s.score_last_epoch) {
    WSOL_RETURN_IF_ERROR(VerifyZipChecksums(folder.best_model()));
    WSOL_RETURN_IF_ERROR(TorchStatus(folder.best_model(), [&] {
      LoadCheckpoint(folder.best_model(), model, nullptr);
    }));
  }
  proto::RunResults results;
  results.set_evaluated_epoch(s.score_last_epoch ? s.epochs : static_cast<int>(meta.best_epoch));
  WSOL_ASSIGN_OR_RETURN(
      proto::SplitMetrics test,
      Evaluate(*run, *run->test_loader, run->test_part, size_of(run->splits.test),
               s.test_evaluator, comm, progress, "  test",
               s.save_scoremaps ? folder.scoremaps() : ""));
  test.set_split(spec.dataset().test_split());
  *results.mutable_test() = test;
  // results.json lists exactly what history.csv holds, whether or not the run resumed.
  for (const proto::EpochRecord& r : RunFolder::ParseHistoryCsv(meta.history_csv)) {
    *results.add_history() = r;
  }
  results.set_name(spec.name());
  results.set_spec_fingerprint(fingerprint);
  results.set_best_epoch(static_cast<int>(meta.best_epoch));
  results.set_skipped_images(static_cast<int>(run->train_loader->SkippedImages().size() +
                                              run->selection_loader->SkippedImages().size() +
                                              run->test_loader->SkippedImages().size()));
  double seconds = 0;
  for (const auto& r : results.history()) seconds += r.seconds();
  results.set_train_seconds(seconds);
  results.set_device(s.device.str());
  if (const std::optional<double> m = run->model.regularizer->FixedPointOffTargetMass(
          s.backbone.num_classes,
          std::max(1, spec.optimizer().batch_size() / run->world_size))) {
    results.set_regularizer_fixed_point_off_target_mass(*m);
    results.set_regularizer_entropy_floor(
        regularizers::EntropyAtOffTargetMass(*m, s.backbone.num_classes));
  }
  // A number that is not a metric (NaN, out of range) is never written as a result.
  if (absl::Status valid = ValidateResults(results, fingerprint); !valid.ok()) {
    return absl::InternalError(absl::StrCat("the run's results are not valid, so none were "
                                            "written: ", valid.message()));
  }
  if (writer) WSOL_RETURN_IF_ERROR(folder.WriteResults(results));
  return results;
}

}  // namespace wsol::train
