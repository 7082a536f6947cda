#include "wsol/train/trainer.h"

#include <torch/cuda.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "wsol/cam/cam.h"
#include "wsol/evaluation/model_scorer.h"
#include "wsol/evaluation/split_evaluator.h"
#include "wsol/regularizers/regularizer.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/cadence.h"
#include "wsol/train/distributed.h"
#include "wsol/train/run_builder.h"
#include "wsol/train/run_folder.h"
#include "wsol/train/train_step.h"
#include "wsol/train/training_state.h"
#include "wsol/util/file_io.h"
#include "wsol/util/file_lock.h"
#include "wsol/util/phase_times.h"
#include "wsol/util/progress.h"
#include "wsol/util/status_macros.h"
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

// The CAMs of a batch, eval_size x eval_size on the CPU: each image's first label's, then
// with `per_label_maps` of its k-th label for every image that has one (the same images,
// forward again). Sets `log_p` to the images' log-probabilities on the CPU.
std::vector<std::vector<torch::Tensor>> InferMaps(Run& run, const data::Batch& batch,
                                                  const torch::Tensor& input, int size,
                                                  bool per_label_maps, torch::Tensor* log_p) {
  const RunSettings& s = run.settings;
  WsolModel& model = *run.model.model;
  const int64_t n = batch.size();
  std::vector<std::vector<torch::Tensor>> maps(n);
  methods::Inference inference =
      model.method().Infer(model.backbone(), input, batch.labels.to(s.device));
  *log_p = torch::log_softmax(inference.logits.to(torch::kCPU, s.dtype), 1);
  const torch::Tensor first =
      cam::ResizeAndNormalize(inference.cams.to(torch::kCPU, s.dtype), size, size).contiguous();
  for (int64_t i = 0; i < n; ++i) maps[i].push_back(first[i]);
  for (size_t k = 1; per_label_maps; ++k) {
    std::vector<int64_t> rows, classes;
    for (int64_t i = 0; i < n; ++i) {
      if (batch.all_labels[i].size() > k) {
        rows.push_back(i);
        classes.push_back(batch.all_labels[i][k]);
      }
    }
    if (rows.empty()) break;
    const torch::Tensor index = torch::tensor(rows, torch::kLong);
    methods::Inference more =
        model.method().Infer(model.backbone(), input.index_select(0, index.to(s.device)),
                             torch::tensor(classes, torch::kLong).to(s.device));
    const torch::Tensor kth =
        cam::ResizeAndNormalize(more.cams.to(torch::kCPU, s.dtype), size, size).contiguous();
    for (size_t r = 0; r < rows.size(); ++r) maps[rows[r]].push_back(kth[r]);
  }
  return maps;
}

// Scores the model on one split (evaluation::ModelScorer), saving the maps into
// `scoremap_dir` when it is not empty. `split` is this process's part (Run::*_part) of a
// split of `total` images; with `comm` the ranks' sums are merged, so every rank returns
// exactly what one process scoring the whole split would.
absl::StatusOr<proto::SplitMetrics> Evaluate(Run& run, data::ImageLoader& loader,
                                             const data::EvalSplit& split, int64_t total,
                                             const evaluation::SplitEvaluatorOptions& options,
                                             Communicator* comm, bool progress,
                                             const std::string& label,
                                             const std::string& scoremap_dir = "") {
  const RunSettings& s = run.settings;
  // The test split's time apart from the per-epoch observations'.
  const bool test = &split == &run.test_part;
  const char* const data_phase = test ? "test: data" : "observe: data";
  const char* const forward_phase = test ? "test: forward and CAMs" : "observe: forward and CAMs";
  const char* const metrics_phase = test ? "test: metrics" : "observe: metrics";
  WSOL_ASSIGN_OR_RETURN(evaluation::ModelScorer scorer,
                        evaluation::ModelScorer::Create({.images = &split.images,
                                                         .has_boxes = split.has_boxes,
                                                         .has_masks = split.has_masks,
                                                         .total = total,
                                                         .evaluator = options,
                                                         .multi_label = s.multi_label,
                                                         .scoremap_dir = scoremap_dir}));
  torch::NoGradGuard no_grad;
  run.model.model->eval();
  loader.StartEpoch(0);
  ProgressBar bar(label, loader.num_batches(), "img", progress);
  while (true) {
    std::optional<ScopedPhase> phase(std::in_place, run.phases, data_phase);
    WSOL_ASSIGN_OR_RETURN(std::optional<data::Batch> batch, loader.Next());
    if (!batch) break;
    phase.emplace(run.phases, forward_phase);
    std::vector<std::vector<torch::Tensor>> maps;
    torch::Tensor log_p;
    WSOL_RETURN_IF_ERROR(TorchStatus(label, [&] {
      maps = InferMaps(run, *batch, batch->images.to(s.device, s.dtype), options.eval_size,
                       scorer.per_label_maps(), &log_p);
    }));
    phase.emplace(run.phases, metrics_phase);
    std::vector<evaluation::ScoredImage> images(batch->size());
    for (int64_t i = 0; i < batch->size(); ++i) {
      images[i] = {.index = batch->indices[i],
                   .position = batch->indices[i] * run.world_size + run.rank,
                   .labels = &batch->all_labels[i],
                   .maps = std::move(maps[i])};
    }
    WSOL_RETURN_IF_ERROR(scorer.Add(images, log_p));
    bar.Advance(batch->size());
  }
  bar.Finish();
  ScopedPhase phase(run.phases, metrics_phase);
  if (comm != nullptr) {
    WSOL_RETURN_IF_ERROR(scorer.Reduce(
        [&](std::vector<torch::Tensor>& sums) { return comm->AllReduceSum(sums, label); }));
  }
  return scorer.Finish(label);
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
    return absl::StrFormat("the mean training loss is %g (diverged past %g)", loss, kMaxTrainLoss);
  }
  return "";
}

// One training step on `batch`, added to `t`. A non-finite loss is a named error, as is a
// failed collective in a data-parallel job (another rank gone).
absl::Status TrainBatch(Run& run, const data::Batch& batch, int epoch, int64_t step,
                        const std::string& run_dir, std::mt19937_64& rng, Communicator* comm,
                        StepSync* sync, EpochTotals& t) {
  const RunSettings& s = run.settings;
  StepResult out;
  StepSeconds seconds;
  const absl::Status stepped = TorchStatus(absl::StrCat("epoch ", epoch + 1, " step ", step), [&] {
    const torch::Tensor targets =
        TargetDistributions(batch, s.backbone.num_classes).to(s.device, s.dtype);
    out = TrainStep(*run.model.model, *run.sgd, *run.model.regularizer,
                    batch.images.to(s.device, s.dtype), targets, rng, sync,
                    run.phases != nullptr ? &seconds : nullptr);
    ScopedPhase phase(run.phases, "train: diagnostics");
    if (out.finite) {
      t.gradient_ratio_sum +=
          regularizers::GradientRatio(*run.model.regularizer, out.logits, targets);
    }
  });
  if (run.phases != nullptr) {
    run.phases->Add("train: forward and loss", absl::Seconds(seconds.forward));
    run.phases->Add("train: backward", absl::Seconds(seconds.backward));
    run.phases->Add("train: optimizer", absl::Seconds(seconds.optimizer));
  }
  // In a data-parallel job the step's collectives (some inside backward, where the
  // gradients are reduced) fail when another rank is gone: say so, whichever failed.
  if (!stepped.ok() && comm != nullptr) {
    return absl::UnavailableError(
        absl::StrCat("distributed training step failed on rank ", run.rank,
                     " (another rank died, hung or disconnected?): ", stepped.message()));
  }
  WSOL_RETURN_IF_ERROR(stepped);
  if (!out.finite) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "training diverged in epoch %d: a non-finite loss at step %d (total %g, "
        "classification %g, regularization %g); nothing of that epoch was saved (the last "
        "good checkpoint is kept in %s); try a lower optimizer.lr (now %g)",
        epoch + 1, step, out.loss, out.classification, out.regularization, run_dir, s.sgd.lr));
  }
  const int64_t n = batch.size();
  t.loss_sum += out.loss * n;
  t.reg_sum += out.regularization * n;
  t.correct += out.logits.argmax(1).to(torch::kCPU).eq(batch.labels).sum().item<int64_t>();
  t.images += n;
  ++t.steps;
  return absl::OkStatus();
}

// The epoch's totals summed over the ranks of a data-parallel job.
absl::Status SumOverRanks(Communicator& comm, int epoch, EpochTotals& t) {
  std::vector<torch::Tensor> sums = {
      torch::tensor({t.loss_sum, t.reg_sum, t.gradient_ratio_sum}, torch::kDouble),
      torch::tensor({t.images, t.correct, t.steps}, torch::kLong)};
  WSOL_RETURN_IF_ERROR(comm.AllReduceSum(sums, absl::StrCat("epoch ", epoch + 1, " totals")));
  t.loss_sum = sums[0][0].item<double>();
  t.reg_sum = sums[0][1].item<double>();
  t.gradient_ratio_sum = sums[0][2].item<double>();
  t.images = sums[1][0].item<int64_t>();
  t.correct = sums[1][1].item<int64_t>();
  t.steps = sums[1][2].item<int64_t>();
  return absl::OkStatus();
}

// Trains one epoch. Everything random in it derives from (seed, epoch), so a resumed run
// draws exactly what an uninterrupted one would.
// Data parallel (`sync`): each rank trains on its slice of every global batch, draws its
// own in-model randomness (rank 0 the single process's) and the totals are summed.
absl::StatusOr<EpochTotals> TrainEpoch(Run& run, int epoch, const std::string& run_dir,
                                       bool progress, Communicator* comm, StepSync* sync) {
  const RunSettings& s = run.settings;
  SetEpochLearningRate(*run.sgd, s.sgd, epoch);
  const uint64_t stream = s.seed * 1000003ULL + static_cast<uint64_t>(epoch) +
                          7919ULL * static_cast<uint64_t>(run.rank);
  torch::manual_seed(stream);
  std::mt19937_64 rng(stream + 17);
  run.model.model->train();
  run.train_loader->StartEpoch(epoch);
  EpochTotals t;
  int64_t step = 0;
  ProgressBar bar(absl::StrFormat("epoch %d/%d", epoch + 1, s.epochs),
                  run.train_loader->num_batches(), "img", progress);
  while (true) {
    std::optional<data::Batch> batch;
    {
      ScopedPhase phase(run.phases, "train: data");
      WSOL_ASSIGN_OR_RETURN(batch, run.train_loader->Next());
    }
    if (!batch) break;
    WSOL_RETURN_IF_ERROR(TrainBatch(run, *batch, epoch, ++step, run_dir, rng, comm, sync, t));
    bar.Advance(batch->size(), absl::StrFormat("loss %.4f acc %.1f%%", t.loss_sum / t.images,
                                               100.0 * t.correct / t.images));
  }
  bar.Finish();
  if (comm != nullptr) WSOL_RETURN_IF_ERROR(SumOverRanks(*comm, epoch, t));
  if (t.images == 0) return absl::FailedPreconditionError("the training split yielded no batch");
  return t;
}

// Writes a checkpoint (sgd and meta) or a best model (sgd null) atomically: a full disk
// is a named error, leaving the previous file and no temporary.
absl::Status SaveModel(const std::string& path, WsolModel& model, torch::optim::SGD* sgd,
                       const CheckpointMeta& meta) {
  std::string bytes;
  WSOL_RETURN_IF_ERROR(TorchStatus(path, [&] { bytes = SerializeCheckpoint(model, sgd, meta); }));
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
    std::cerr << absl::StrFormat("resuming %s at epoch %d\n", folder.path(), loaded.next_epoch + 1);
  }
  loaded.world_size = run.world_size;
  return loaded;
}

// Builds the run on every rank: rank 0 first, since it generates any data not yet in the
// cache, which the other ranks then read.
absl::StatusOr<std::unique_ptr<Run>> BuildOnEveryRank(const proto::Experiment& spec,
                                                      const TrainerOptions& options,
                                                      Communicator* comm) {
  const int rank = comm != nullptr ? comm->rank() : 0;
  const BuildRunOptions build{.cache_dir = options.cache_dir,
                              .rank = rank,
                              .world_size = comm != nullptr ? comm->world_size() : 1};
  std::unique_ptr<Run> run;
  if (rank == 0) {
    WSOL_ASSIGN_OR_RETURN(run, BuildRun(spec, options.components, build));
  }
  if (comm != nullptr) WSOL_RETURN_IF_ERROR(comm->Barrier("data preparation"));
  if (rank != 0) {
    WSOL_ASSIGN_OR_RETURN(run, BuildRun(spec, options.components, build));
  }
  return run;
}

// One forward pass on a real batch proves the data and model fit together.
absl::Status ForwardOneBatch(Run& run) {
  run.train_loader->StartEpoch(0);
  WSOL_ASSIGN_OR_RETURN(std::optional<data::Batch> batch, run.train_loader->Next());
  if (!batch) return absl::FailedPreconditionError("training split is empty");
  return TorchStatus("validation forward pass", [&] {
    torch::NoGradGuard no_grad;
    run.model.model->eval();
    run.model.model->backbone().Forward(batch->images.to(run.settings.device, run.settings.dtype));
  });
}

// Creates and locks the run folder for this process (one process trains a run folder at a
// time: two tables sharing a cache, a table started twice; the others are refused with
// the holder named), removes what a killed writer left half-written and writes the spec.
absl::StatusOr<FileLock> TakeRunFolder(const RunFolder& folder, const proto::Experiment& spec) {
  WSOL_RETURN_IF_ERROR(folder.Create());
  WSOL_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(folder.lock()));
  if (const int removed = RemoveStaleTemporaries(folder.path()); removed > 0) {
    std::cerr << absl::StrFormat("%s: removed %d temporary file(s) of ended processes\n",
                                 folder.path(), removed);
  }
  WSOL_RETURN_IF_ERROR(folder.WriteSpec(spec));
  return lock;
}

// The error of an epoch that diverged (Divergence's `wrong`): nothing of it is saved.
absl::Status DivergedEpoch(int epoch, const std::string& wrong, const RunFolder& folder,
                           double lr) {
  return absl::FailedPreconditionError(absl::StrFormat(
      "training diverged in epoch %d: %s; nothing of that epoch was saved (%s); try a lower "
      "optimizer.lr (now %g)",
      epoch + 1, wrong,
      epoch == 0 ? "no checkpoint yet"
                 : absl::StrCat("the checkpoint of epoch ", epoch, " is kept in ", folder.path()),
      lr));
}

int64_t SizeOf(const data::EvalSplit& split) {
  return static_cast<int64_t>(split.images.images.size());
}

// What history.csv records of one epoch's training.
proto::EpochRecord EpochRecordOf(int epoch, Run& run, const EpochTotals& t) {
  proto::EpochRecord record;
  record.set_epoch(epoch + 1);
  record.set_learning_rate(AppliedLearningRate(*run.sgd));
  record.set_train_loss(t.loss_sum / t.images);
  record.set_train_regularization(t.reg_sum / t.images);
  record.set_train_top1(100.0 * t.correct / t.images);
  record.set_train_classification((t.loss_sum - t.reg_sum) / t.images);
  record.set_regularizer_gradient_ratio(t.gradient_ratio_sum / std::max<int64_t>(t.steps, 1));
  return record;
}

// Adds what scoring the selection split and the training sample observed to `record`.
void AddObservations(const proto::SplitMetrics& selection, const proto::SplitMetrics& train_sample,
                     proto::EpochRecord& record) {
  record.set_val_top1_cls(selection.top1_cls());
  record.set_val_localization(evaluation::LocalizationScore(selection));
  record.set_val_entropy(selection.mean_entropy());
  record.set_train_entropy(train_sample.mean_entropy());
  record.set_train_off_target_mass(train_sample.mean_off_target_mass());
}

// Everything a training loop shares across its epochs.
struct Training {
  Run& run;
  const RunFolder& folder;
  const TrainerOptions& options;
  Communicator* comm;
  StepSync* sync;
  bool writer;    // Rank 0: writes the run folder.
  bool progress;  // Shows progress bars (rank 0, when asked).
};

// Scores the model on the selection split and on the training sample (the entropy of its
// predictions on images it trains on, scored as the test images are) into `record`, and
// notes a new best model in `meta`. Returns whether the model is the best so far.
absl::StatusOr<bool> Observe(const Training& tr, int epoch, CheckpointMeta& meta,
                             proto::EpochRecord& record) {
  Run& run = tr.run;
  const RunSettings& s = run.settings;
  WSOL_ASSIGN_OR_RETURN(proto::SplitMetrics selection,
                        Evaluate(run, *run.selection_loader, run.selection_part,
                                 SizeOf(run.selection()), s.selection_evaluator, tr.comm,
                                 tr.progress, absl::StrFormat("  val %d/%d", epoch + 1, s.epochs)));
  WSOL_ASSIGN_OR_RETURN(
      proto::SplitMetrics train_sample,
      Evaluate(run, *run.train_sample_loader, run.train_sample_part, SizeOf(run.train_sample),
               s.selection_evaluator, tr.comm, tr.progress,
               absl::StrFormat("  train entropy %d/%d", epoch + 1, s.epochs)));
  AddObservations(selection, train_sample, record);
  const double score = record.val_localization();
  if (tr.progress) {
    std::cerr << absl::StrFormat(
        "  epoch %d: val top-1 %.2f%%, %s %.2f%%, entropy %.4f\n", epoch + 1, selection.top1_cls(),
        selection.has_boxes() ? "MaxBoxAccV2" : "PxAP", score, selection.mean_entropy());
  }
  if (score <= meta.best_score) return false;
  meta.best_score = score;
  meta.best_epoch = epoch + 1;
  return true;
}

// Trains one epoch, scores it (evaluation.observe_every_epochs) on val and on the training
// sample, appends its record to `history`, and (rank 0) saves the best model, the
// checkpoint (runtime.checkpoint_every_epochs) and history.csv.
absl::Status RunEpoch(const Training& tr, int epoch, CheckpointMeta& meta,
                      std::vector<proto::EpochRecord>& history) {
  Run& run = tr.run;
  const RunSettings& s = run.settings;
  const absl::Time start = absl::Now();
  WSOL_ASSIGN_OR_RETURN(EpochTotals t,
                        TrainEpoch(run, epoch, tr.folder.path(), tr.progress, tr.comm, tr.sync));
  // Nothing of a diverged epoch is scored or saved (every rank holds the same weights).
  if (const std::string wrong = Divergence(*run.model.model, t.loss_sum / t.images);
      !wrong.empty()) {
    return DivergedEpoch(epoch, wrong, tr.folder, s.sgd.lr);
  }
  proto::EpochRecord& record = history.emplace_back(EpochRecordOf(epoch, run, t));
  bool best = false;
  if (OnCadence(epoch, s.observe_every_epochs, s.epochs)) {
    WSOL_ASSIGN_OR_RETURN(best, Observe(tr, epoch, meta, record));
  }
  record.set_seconds(absl::ToDoubleSeconds(absl::Now() - start));
  meta.history_csv = RunFolder::HistoryCsv(history);
  meta.next_epoch = epoch + 1;
  // Every rank holds the same weights and meta (the metrics are merged); rank 0 writes.
  if (tr.writer) {
    if (best) {
      ScopedPhase phase(run.phases, "save: best model");
      WSOL_RETURN_IF_ERROR(SaveModel(tr.folder.best_model(), *run.model.model, nullptr, {}));
    }
    if (OnCadence(epoch, s.checkpoint_every_epochs, s.epochs)) {
      ScopedPhase phase(run.phases, "save: checkpoint");
      WSOL_RETURN_IF_ERROR(
          SaveModel(tr.folder.checkpoint(), *run.model.model, run.sgd.get(), meta));
    }
    ScopedPhase phase(run.phases, "save: history");
    WSOL_RETURN_IF_ERROR(tr.folder.WriteHistory(history));
  }
  if (tr.options.after_epoch) WSOL_RETURN_IF_ERROR(tr.options.after_epoch(epoch + 1));
  return absl::OkStatus();
}

// The selected model on test: the last one, or the best by validation localization.
absl::StatusOr<proto::SplitMetrics> ScoreOnTest(const Training& tr, const proto::Experiment& spec) {
  Run& run = tr.run;
  const RunSettings& s = run.settings;
  if (!s.score_last_epoch) {
    WSOL_RETURN_IF_ERROR(VerifyZipChecksums(tr.folder.best_model()));
    WSOL_RETURN_IF_ERROR(TorchStatus(tr.folder.best_model(), [&] {
      LoadCheckpoint(tr.folder.best_model(), *run.model.model, nullptr);
    }));
  }
  WSOL_ASSIGN_OR_RETURN(
      proto::SplitMetrics test,
      Evaluate(run, *run.test_loader, run.test_part, SizeOf(run.splits.test), s.test_evaluator,
               tr.comm, tr.progress, "  test", s.save_scoremaps ? tr.folder.scoremaps() : ""));
  test.set_split(spec.dataset().test_split());
  return test;
}

// results.json: the test metrics, the history, and what the run and its regularizer were.
proto::RunResults ResultsOf(const proto::Experiment& spec, Run& run, const CheckpointMeta& meta,
                            proto::SplitMetrics test, const std::string& fingerprint) {
  const RunSettings& s = run.settings;
  proto::RunResults results;
  results.set_evaluated_epoch(s.score_last_epoch ? s.epochs : static_cast<int>(meta.best_epoch));
  *results.mutable_test() = std::move(test);
  // results.json lists exactly what history.csv holds, whether or not the run resumed.
  for (const proto::EpochRecord& r : RunFolder::ParseHistoryCsv(meta.history_csv)) {
    *results.add_history() = r;
  }
  results.set_name(spec.name());
  results.set_spec_fingerprint(fingerprint);
  results.set_best_epoch(static_cast<int>(meta.best_epoch));
  results.set_skipped_images(static_cast<int>(run.train_loader->SkippedImages().size() +
                                              run.selection_loader->SkippedImages().size() +
                                              run.test_loader->SkippedImages().size()));
  double seconds = 0;
  for (const auto& r : results.history()) seconds += r.seconds();
  results.set_train_seconds(seconds);
  results.set_device(s.device.str());
  if (const std::optional<double> m = run.model.regularizer->FixedPointOffTargetMass(
          s.backbone.num_classes, std::max(1, spec.optimizer().batch_size() / run.world_size))) {
    results.set_regularizer_fixed_point_off_target_mass(*m);
    results.set_regularizer_entropy_floor(
        regularizers::EntropyAtOffTargetMass(*m, s.backbone.num_classes));
  }
  return results;
}

}  // namespace

bool CudaAvailable() { return torch::cuda::is_available(); }

absl::StatusOr<proto::RunResults> RunExperiment(const proto::Experiment& spec,
                                                const TrainerOptions& options) {
  Communicator* comm = options.communicator;
  if (comm != nullptr) WSOL_RETURN_IF_ERROR(CheckRanksAgree(*comm, spec));
  std::optional<ScopedPhase> phase(std::in_place, options.phases, "start: build the run");
  WSOL_ASSIGN_OR_RETURN(std::unique_ptr<Run> run, BuildOnEveryRank(spec, options, comm));
  run->phases = options.phases;
  if (options.validate_only) {
    WSOL_RETURN_IF_ERROR(ForwardOneBatch(*run));
    return proto::RunResults();
  }
  // Only rank 0 writes the run folder and shows progress.
  const bool writer = run->rank == 0;
  const RunFolder folder(RunFolder::PathFor(spec, options.cache_dir));
  std::optional<FileLock> lock;  // Held until the run ends.
  if (writer) {
    WSOL_ASSIGN_OR_RETURN(lock, TakeRunFolder(folder, spec));
  }
  const std::string fingerprint = spec::ResultFingerprint(spec);
  phase.emplace(options.phases, "start: resume");
  WSOL_ASSIGN_OR_RETURN(CheckpointMeta meta, Resume(*run, folder, fingerprint));
  phase.reset();
  std::unique_ptr<StepSync> sync;
  if (comm != nullptr) {
    WSOL_RETURN_IF_ERROR(TorchStatus("start", [&] {
      BroadcastModel(*comm, *run->model.model);
      sync = MakeStepSync(*comm, *run->model.model);
    }));
  }
  std::vector<proto::EpochRecord> history = RunFolder::ParseHistoryCsv(meta.history_csv);
  // The checkpoint holds the history: a deleted or damaged history.csv is written again.
  if (writer && !history.empty()) WSOL_RETURN_IF_ERROR(folder.WriteHistory(history));
  const Training training{
      *run, folder, options, comm, sync.get(), writer, options.progress && writer};
  for (int epoch = static_cast<int>(meta.next_epoch); epoch < run->settings.epochs; ++epoch) {
    WSOL_RETURN_IF_ERROR(RunEpoch(training, epoch, meta, history));
  }
  // The other ranks read what rank 0 wrote last (best_model.pt) only after it is written.
  if (comm != nullptr) WSOL_RETURN_IF_ERROR(comm->Barrier("end of training"));
  WSOL_ASSIGN_OR_RETURN(proto::SplitMetrics test, ScoreOnTest(training, spec));
  proto::RunResults results = ResultsOf(spec, *run, meta, std::move(test), fingerprint);
  // A number that is not a metric (NaN, out of range) is never written as a result.
  if (absl::Status valid = ValidateResults(results, fingerprint); !valid.ok()) {
    return absl::InternalError(
        absl::StrCat("the run's results are not valid, so none were "
                     "written: ",
                     valid.message()));
  }
  phase.emplace(options.phases, "save: results");
  if (writer) WSOL_RETURN_IF_ERROR(folder.WriteResults(results));
  return results;
}

}  // namespace wsol::train
