// End-to-end tests of the trainer on a tiny FMNIST-Loc (built from Debian's
// Fashion-MNIST files into the test's temporary folder): every metric present and in
// range, resume after a simulated kill gives the uninterrupted results, bad specs and
// resumes are refused with clear errors.
#include "wsol/train/trainer.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "wsol/evaluation/evaluate_folder.h"
#include "wsol/metrics/npy.h"
#include "wsol/spec/spec_loader.h"
#include "wsol/train/components_testing.h"
#include "wsol/train/explain.h"
#include "wsol/train/run_folder.h"
#include "wsol/util/fault_injection.h"
#include "wsol/util/file_lock.h"
#include "wsol/util/status_matchers.h"

namespace wsol::train {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::wsol::testing::IsOk;
using ::wsol::testing::StatusIs;

proto::Experiment TinySpec(const std::string& output_dir) {
  proto::Experiment spec;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
    name: "tiny"
    dataset {
      name: "FMNIST_LOC" num_classes: 10 resize_size: 36 crop_size: 32 eval_size: 32
      fmnist_loc { canvas_size: 32 min_item_size: 12 max_item_size: 28
                   train_per_class: 4 val_per_class: 2 test_per_class: 2 seed: 5 }
    }
    backbone { architecture: "resnet50" width_multiplier: 0.0625 }
    method { cam {} }
    regularizer { entropy_kl_uniform { lambda: 1e-4 } }
    optimizer { lr: 0.01 classifier_lr_multiplier: 1 epochs: 3 batch_size: 16 }
    evaluation { cam_curve_interval: 0.05 }
    runtime { device: "cpu" threads: 1 loader_workers: 2 seed: 7 }
  )pb",
                                                            &spec));
  spec.mutable_runtime()->set_output_dir(output_dir);
  return spec;
}

TrainerOptions Options() {
  TrainerOptions options;
  options.components = train::testing::TestingComponents();
  options.cache_dir = ::testing::TempDir() + "/cache";
  options.progress = false;
  return options;
}

void ExpectPercent(double v, const char* what) {
  EXPECT_GE(v, 0.0) << what;
  EXPECT_LE(v, 100.0) << what;
}

TEST(TrainerTest, TrainsEndToEndAndWritesEveryMetric) {
  const std::string dir = ::testing::TempDir() + "/run_full";
  absl::StatusOr<proto::RunResults> results = RunExperiment(TinySpec(dir), Options());
  ASSERT_THAT(results, IsOk());
  const proto::SplitMetrics& t = results->test();
  EXPECT_EQ(t.images(), 20);  // 2 test images per class.
  EXPECT_TRUE(t.has_boxes());
  EXPECT_TRUE(t.has_masks());
  ExpectPercent(t.top1_cls(), "top1_cls");
  ExpectPercent(t.top1_loc(), "top1_loc");
  ExpectPercent(t.gt_known_loc(), "gt_known_loc");
  ExpectPercent(t.max_box_acc(), "max_box_acc");
  ExpectPercent(t.max_box_acc_v2(), "max_box_acc_v2");
  ExpectPercent(t.pxap(), "pxap");
  // Top-1 Loc also needs the class right, so it never exceeds GT-known Loc; the best
  // threshold is at least as good as sigma.
  EXPECT_LE(t.top1_loc(), t.gt_known_loc());
  EXPECT_GE(t.gt_known_loc_best(), t.gt_known_loc());
  EXPECT_GE(t.max_box_acc(), t.gt_known_loc_best() - 1e-9);
  EXPECT_EQ(t.max_box_acc_v2_per_iou_size(), 3);
  EXPECT_GT(t.mean_entropy(), 0.0);
  EXPECT_LE(t.mean_entropy(), std::log(10.0) + 1e-9);
  EXPECT_EQ(results->history_size(), 3);
  for (const proto::EpochRecord& r : results->history()) {
    EXPECT_GT(r.train_entropy(), 0.0) << "epoch " << r.epoch();
    EXPECT_LE(r.train_entropy(), std::log(10.0) + 1e-9) << "epoch " << r.epoch();
  }
  EXPECT_GE(results->best_epoch(), 1);
  EXPECT_LE(results->best_epoch(), 3);
  // By default the test split scores the last checkpoint, as wsolevaluation does.
  EXPECT_EQ(results->evaluated_epoch(), 3);
  for (const char* file : {"results.json", "history.csv", "checkpoint.pt", "best_model.pt"}) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + file)) << file;
  }
  absl::StatusOr<proto::RunResults> read = ReadResults(dir);
  ASSERT_THAT(read, IsOk());
  EXPECT_DOUBLE_EQ(read->test().pxap(), t.pxap());
}

TEST(TrainerTest, ResumeAfterKillMatchesUninterruptedRun) {
  const std::string a = ::testing::TempDir() + "/run_a";
  const std::string b = ::testing::TempDir() + "/run_b";
  absl::StatusOr<proto::RunResults> uninterrupted = RunExperiment(TinySpec(a), Options());
  ASSERT_THAT(uninterrupted, IsOk());

  TrainerOptions killed = Options();
  killed.after_epoch = [](int epoch) {
    return epoch == 2 ? absl::AbortedError("simulated kill") : absl::OkStatus();
  };
  EXPECT_THAT(RunExperiment(TinySpec(b), killed), StatusIs(absl::StatusCode::kAborted));
  EXPECT_FALSE(std::filesystem::exists(b + "/results.json"));
  absl::StatusOr<proto::RunResults> resumed = RunExperiment(TinySpec(b), Options());
  ASSERT_THAT(resumed, IsOk());

  EXPECT_EQ(resumed->best_epoch(), uninterrupted->best_epoch());
  ASSERT_EQ(resumed->history_size(), uninterrupted->history_size());
  for (int i = 0; i < resumed->history_size(); ++i) {
    EXPECT_NEAR(resumed->history(i).train_loss(), uninterrupted->history(i).train_loss(), 1e-5);
    EXPECT_NEAR(resumed->history(i).train_entropy(), uninterrupted->history(i).train_entropy(),
                1e-5);
    EXPECT_EQ(resumed->history(i).val_localization(), uninterrupted->history(i).val_localization());
  }
  EXPECT_EQ(resumed->test().top1_cls(), uninterrupted->test().top1_cls());
  EXPECT_EQ(resumed->test().max_box_acc_v2(), uninterrupted->test().max_box_acc_v2());
  EXPECT_EQ(resumed->test().pxap(), uninterrupted->test().pxap());
}

// Observing every k-th epoch and checkpointing every k-th changes nothing trained: the
// same test numbers and training losses as a run that does both every epoch, and a run
// killed between checkpoints replays from the last one to the same result.
TEST(TrainerTest, ObservationAndCheckpointCadenceChangeNothingTrained) {
  proto::Experiment every = TinySpec(::testing::TempDir() + "/run_every_epoch");
  every.mutable_optimizer()->set_epochs(5);
  proto::Experiment sparse = every;
  sparse.mutable_runtime()->set_output_dir(::testing::TempDir() + "/run_every_2");
  sparse.mutable_evaluation()->set_observe_every_epochs(2);
  sparse.mutable_runtime()->set_checkpoint_every_epochs(2);
  absl::StatusOr<proto::RunResults> a = RunExperiment(every, Options());
  ASSERT_THAT(a, IsOk());

  // Checkpoints after epochs 2, 4 and 5: killed after epoch 3, the run resumes at 3.
  TrainerOptions killed = Options();
  killed.after_epoch = [](int epoch) {
    return epoch == 3 ? absl::AbortedError("simulated kill") : absl::OkStatus();
  };
  EXPECT_THAT(RunExperiment(sparse, killed), StatusIs(absl::StatusCode::kAborted));
  std::vector<int> trained;
  TrainerOptions resumed_options = Options();
  resumed_options.after_epoch = [&trained](int epoch) {
    trained.push_back(epoch);
    return absl::OkStatus();
  };
  absl::StatusOr<proto::RunResults> b = RunExperiment(sparse, resumed_options);
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(trained, (std::vector<int>{3, 4, 5}));

  EXPECT_EQ(b->test().top1_cls(), a->test().top1_cls());
  EXPECT_EQ(b->test().max_box_acc_v2(), a->test().max_box_acc_v2());
  EXPECT_EQ(b->test().pxap(), a->test().pxap());
  EXPECT_EQ(b->test().mean_entropy(), a->test().mean_entropy());
  ASSERT_EQ(b->history_size(), 5);
  for (int i = 0; i < 5; ++i) {
    const proto::EpochRecord& rb = b->history(i);
    const proto::EpochRecord& ra = a->history(i);
    EXPECT_NEAR(rb.train_loss(), ra.train_loss(), 1e-5) << "epoch " << i + 1;
    const bool observed = i == 1 || i == 3 || i == 4;
    EXPECT_EQ(rb.has_val_localization(), observed) << "epoch " << i + 1;
    EXPECT_EQ(rb.has_train_entropy(), observed) << "epoch " << i + 1;
    if (observed) {
      EXPECT_EQ(rb.val_localization(), ra.val_localization()) << "epoch " << i + 1;
      EXPECT_NEAR(rb.train_entropy(), ra.train_entropy(), 1e-5) << "epoch " << i + 1;
    }
  }
  // history.csv leaves an unobserved epoch's scores empty and reads back the same way.
  std::ifstream in(sparse.runtime().output_dir() + "/history.csv");
  const std::string csv((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::vector<proto::EpochRecord> read = RunFolder::ParseHistoryCsv(csv);
  ASSERT_EQ(read.size(), 5u);
  EXPECT_FALSE(read[0].has_val_localization());
  EXPECT_NEAR(read[0].train_loss(), b->history(0).train_loss(), 1e-6);
  EXPECT_TRUE(read[1].has_val_localization());
  EXPECT_EQ(RunFolder::HistoryCsv(read), csv);
}

TEST(TrainerTest, BestSelectionScoresTheBestCheckpoint) {
  proto::Experiment spec = TinySpec(::testing::TempDir() + "/run_best");
  spec.mutable_evaluation()->set_checkpoint_selection(proto::Evaluation::BEST_VAL_LOCALIZATION);
  absl::StatusOr<proto::RunResults> results = RunExperiment(spec, Options());
  ASSERT_THAT(results, IsOk());
  EXPECT_EQ(results->evaluated_epoch(), results->best_epoch());
}

TEST(TrainerTest, LastEpochSelectionScoresTheFinalModel) {
  proto::Experiment spec = TinySpec(::testing::TempDir() + "/run_last");
  spec.mutable_evaluation()->set_checkpoint_selection(proto::Evaluation::LAST_EPOCH);
  spec.mutable_evaluation()->set_save_scoremaps(true);
  absl::StatusOr<proto::RunResults> results = RunExperiment(spec, Options());
  ASSERT_THAT(results, IsOk());
  EXPECT_EQ(results->evaluated_epoch(), 3);

  // The saved test score maps, scored by //tools:evaluate's library, give the numbers
  // the trainer reported.
  absl::StatusOr<evaluation::EvaluationReport> report = evaluation::EvaluateFolder(
      {.metadata =
           train::testing::SyntheticMetadataRoot(spec.dataset(), Options().cache_dir) + "/test",
       .scoremaps = spec.runtime().output_dir() + "/scoremaps",
       .cam_curve_interval = 0.05,
       .eval_size = 32});
  ASSERT_THAT(report, IsOk());
  ASSERT_TRUE(report->boxes.has_value());
  EXPECT_EQ(report->boxes->num_images, results->test().images());
  EXPECT_EQ(report->boxes->max_box_acc_mean, results->test().max_box_acc_v2());
  // The final model's test metrics are those of the trained weights in checkpoint.pt:
  // explaining test images with them reproduces a valid CAM for each.
  absl::StatusOr<std::vector<ImageExplanation>> explained =
      ExplainTestImages(spec, spec.runtime().output_dir(),
                        {.cache_dir = Options().cache_dir, .components = Options().components}, 3);
  ASSERT_THAT(explained, IsOk());
  ASSERT_EQ(explained->size(), 3u);
  for (const ImageExplanation& e : *explained) {
    // The model explained is the one the test split was scored with: its CAM is the saved
    // score map of that image (one image at a time here, a batch there).
    absl::StatusOr<cv::Mat> saved =
        metrics::ReadNpy(spec.runtime().output_dir() + "/scoremaps/" + e.image_id + ".npy");
    ASSERT_THAT(saved, IsOk());
    EXPECT_LE(cv::norm(e.cam, *saved, cv::NORM_INF), 1e-4) << e.image_id;
    EXPECT_EQ(e.cam.rows, 32);
    EXPECT_FALSE(e.gt_boxes.empty());
    EXPECT_FALSE(e.stage_maps.empty());
    double lo, hi;
    cv::minMaxLoc(e.cam, &lo, &hi);
    EXPECT_GE(lo, 0.0);
    EXPECT_LE(hi, 1.0);
  }
}

TEST(TrainerTest, RefusesToResumeAnotherSpec) {
  const std::string dir = ::testing::TempDir() + "/run_other";
  TrainerOptions killed = Options();
  killed.after_epoch = [](int) { return absl::AbortedError("simulated kill"); };
  proto::Experiment spec = TinySpec(dir);
  EXPECT_THAT(RunExperiment(spec, killed), StatusIs(absl::StatusCode::kAborted));
  spec.mutable_optimizer()->set_lr(0.02f);
  EXPECT_THAT(RunExperiment(spec, Options()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("another spec")));
}

// Bytes overwritten inside checkpoint.pt (a tensor's data, which LibTorch would load as
// other weights) stop the resume with the file named, instead of quietly other numbers.
TEST(TrainerTest, ADamagedCheckpointIsRefused) {
  const std::string dir = ::testing::TempDir() + "/run_damaged";
  TrainerOptions killed = Options();
  killed.after_epoch = [](int) { return absl::AbortedError("simulated kill"); };
  EXPECT_THAT(RunExperiment(TinySpec(dir), killed), StatusIs(absl::StatusCode::kAborted));
  const std::string checkpoint = dir + "/checkpoint.pt";
  std::string bytes;
  {
    std::ifstream in(checkpoint, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(bytes.size(), 4096u);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 1024; ++i) bytes[i] = 'x';
  std::ofstream(checkpoint, std::ios::binary) << bytes;
  EXPECT_THAT(RunExperiment(TinySpec(dir), Options()),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("cannot resume"), HasSubstr("checkpoint.pt"),
                             HasSubstr("the file is damaged"))));
  EXPECT_FALSE(std::filesystem::exists(dir + "/results.json"));
}

// Two processes on one run folder: the second is refused with the first named, and the
// folder is left to the first.
TEST(TrainerTest, ARunFolderIsTrainedByOneProcessAtATime) {
  const std::string dir = ::testing::TempDir() + "/run_locked";
  std::filesystem::create_directories(dir);
  absl::StatusOr<FileLock> other = FileLock::Acquire(dir + "/run.lock");
  ASSERT_THAT(other, IsOk());
  EXPECT_THAT(RunExperiment(TinySpec(dir), Options()),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("run.lock is held by pid " + std::to_string(getpid()))));
  EXPECT_FALSE(std::filesystem::exists(dir + "/checkpoint.pt"));
  *other = FileLock::Acquire(dir + "/elsewhere.lock").value();  // Releases run.lock.
  EXPECT_THAT(RunExperiment(TinySpec(dir), Options()), IsOk());
  EXPECT_FALSE(std::filesystem::exists(dir + "/run.lock"));  // Released after the run.
}

TEST(TrainerTest, ValidateOnlyBuildsWithoutTraining) {
  const std::string dir = ::testing::TempDir() + "/run_validate";
  TrainerOptions options = Options();
  options.validate_only = true;
  ASSERT_THAT(RunExperiment(TinySpec(dir), options), IsOk());
  EXPECT_FALSE(std::filesystem::exists(dir + "/checkpoint.pt"));
  proto::Experiment bad = TinySpec(dir);
  bad.mutable_backbone()->set_architecture("resnet51");
  EXPECT_THAT(RunExperiment(bad, options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("valid backbones")));
}

using ::wsol::testing::EntriesOf;

// lr = 1e9: the loss may stay finite while the weights grow to 1e33. The run stops at the
// first epoch with a named error, saves nothing of it, and writes no results.
TEST(TrainerTest, ADivergedRunStopsBeforeAnythingIsSaved) {
  const std::string dir = ::testing::TempDir() + "/run_diverged";
  proto::Experiment spec = TinySpec(dir);
  spec.mutable_optimizer()->set_lr(1e9);
  absl::StatusOr<proto::RunResults> results = RunExperiment(spec, Options());
  EXPECT_THAT(results, StatusIs(absl::StatusCode::kFailedPrecondition,
                                AllOf(HasSubstr("training diverged in epoch 1"),
                                      HasSubstr("try a lower optimizer.lr (now 1e+09)"))));
  EXPECT_FALSE(std::filesystem::exists(dir + "/results.json"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/checkpoint.pt"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/best_model.pt"));
  // Every rerun stops the same way instead of resuming from a diverged checkpoint.
  EXPECT_THAT(RunExperiment(spec, Options()), StatusIs(absl::StatusCode::kFailedPrecondition,
                                                       HasSubstr("training diverged in epoch 1")));
}

// A full disk while saving (a file-size limit here) is an error naming the file; no
// temporary, lock or results are left, and the run resumes once there is space.
TEST(TrainerTest, AFullDiskWhileSavingIsANamedErrorAndTheRunGoesOnLater) {
  const std::string dir = ::testing::TempDir() + "/run_full_disk";
  TrainerOptions validate = Options();
  validate.validate_only = true;
  ASSERT_THAT(RunExperiment(TinySpec(dir), validate), IsOk());  // Data generated first.
  {
    // Room for the spec and the history, not for a model (about 370 KB of weights).
    wsol::testing::FileSizeLimit full_disk(128 << 10);
    EXPECT_THAT(RunExperiment(TinySpec(dir), Options()),
                StatusIs(absl::StatusCode::kResourceExhausted,
                         AllOf(HasSubstr(dir), HasSubstr(".pt: write failed: File too large"))));
  }
  EXPECT_THAT(EntriesOf(dir), ::testing::ElementsAre("spec.pbtxt"));
  absl::StatusOr<proto::RunResults> results = RunExperiment(TinySpec(dir), Options());
  ASSERT_THAT(results, IsOk());
  EXPECT_EQ(results->history_size(), 3);
}

// What a killed writer leaves (temporaries with its pid) is removed when the run folder
// is next opened, and a deleted history.csv is written again from the checkpoint (here
// the run was killed after its last epoch, so no epoch rewrites it).
TEST(TrainerTest, LeftoversOfAKilledRunAreCleanedAndTheHistoryRestored) {
  const std::string dir = ::testing::TempDir() + "/run_leftovers";
  TrainerOptions killed = Options();
  killed.after_epoch = [](int epoch) {
    return epoch == 3 ? absl::AbortedError("simulated kill") : absl::OkStatus();
  };
  EXPECT_THAT(RunExperiment(TinySpec(dir), killed), StatusIs(absl::StatusCode::kAborted));
  const pid_t dead = wsol::testing::EndedProcessId();
  std::ofstream(dir + "/checkpoint.pt.tmp." + std::to_string(dead)) << "half a checkpoint";
  std::ofstream(dir + "/results.json.tmp." + std::to_string(dead) + ".0") << "{";
  std::filesystem::remove(dir + "/history.csv");
  ASSERT_THAT(RunExperiment(TinySpec(dir), Options()), IsOk());
  EXPECT_THAT(EntriesOf(dir), ::testing::ElementsAre("best_model.pt", "checkpoint.pt",
                                                     "history.csv", "results.json", "spec.pbtxt"));
  std::ifstream in(dir + "/history.csv");
  const std::string history((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(history, AllOf(HasSubstr("\n1,"), HasSubstr("\n2,"), HasSubstr("\n3,")));
}

// The results written are always valid: a results file that fails ValidateResults is
// never written, and what is written passes it.
TEST(TrainerTest, WrittenResultsAreTheSpecsAndValid) {
  const std::string dir = ::testing::TempDir() + "/run_valid";
  absl::StatusOr<proto::RunResults> results = RunExperiment(TinySpec(dir), Options());
  ASSERT_THAT(results, IsOk());
  // ER's diagnostics on every run: its closed-form fixed point at lambda = 1e-4 and 10
  // classes (9e-5 off the target), and per epoch the data term, the off-target mass of the
  // training images and ER's pull against the cross-entropy, in results.json and in
  // history.csv alike.
  EXPECT_NEAR(results->regularizer_fixed_point_off_target_mass(), 1e-4 * 0.9 / (1 + 1e-4), 1e-9);
  EXPECT_GT(results->regularizer_entropy_floor(), 1e-3);
  for (const proto::EpochRecord& r : results->history()) {
    EXPECT_NEAR(r.train_classification(), r.train_loss() - r.train_regularization(), 1e-6);
    EXPECT_GT(r.train_off_target_mass(), 0.0);
    EXPECT_LT(r.train_off_target_mass(), 1.0);
    EXPECT_GT(r.regularizer_gradient_ratio(), 0.0);
    EXPECT_LT(r.regularizer_gradient_ratio(), 0.05);  // lambda = 1e-4 barely pulls.
  }
  EXPECT_GT(results->test().mean_off_target_mass(), 0.0);
  EXPECT_THAT(ReadVerifiedResults(dir, spec::ResultFingerprint(TinySpec(dir))), IsOk());
  EXPECT_THAT(ReadVerifiedResults(dir, "0123456789abcdef"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("another spec")));
}

// The schedule decays inside the run and history.csv records the rate the optimizer
// applied (wsolevaluation's count: epoch e at lr * 0.1^floor((e + 1) / 2) for an interval
// of 2), so a rate applied an epoch late shows.
TEST(TrainerTest, TheAppliedLearningRateDecaysOnSchedule) {
  proto::Experiment spec = TinySpec(::testing::TempDir() + "/run_schedule");
  spec.mutable_optimizer()->set_decay_every_epochs(2);
  absl::StatusOr<proto::RunResults> results = RunExperiment(spec, Options());
  ASSERT_THAT(results, IsOk());
  ASSERT_EQ(results->history_size(), 3);
  // history.csv holds six significant digits.
  EXPECT_NEAR(results->history(0).learning_rate(), 0.01, 1e-9);
  EXPECT_NEAR(results->history(1).learning_rate(), 0.001, 1e-10);
  EXPECT_NEAR(results->history(2).learning_rate(), 0.001, 1e-10);
}

// The test metrics come from the file the spec selects. A run whose best validation epoch
// is not its last tells the two apart: with LAST_EPOCH the saved score maps are the CAMs
// of checkpoint.pt's weights (recomputed from the file) and not those of best_model.pt.
TEST(TrainerTest, TheScoredModelIsTheSelectedFile) {
  proto::Experiment spec;
  absl::StatusOr<proto::RunResults> results;
  bool found = false;
  for (uint64_t seed = 7; seed < 19 && !found; ++seed) {
    spec = TinySpec(::testing::TempDir() + "/run_selected_" + std::to_string(seed));
    spec.mutable_runtime()->set_seed(seed);
    spec.mutable_evaluation()->set_checkpoint_selection(proto::Evaluation::LAST_EPOCH);
    spec.mutable_evaluation()->set_save_scoremaps(true);
    results = RunExperiment(spec, Options());
    ASSERT_THAT(results, IsOk());
    found = results->best_epoch() != 3;
  }
  ASSERT_TRUE(found) << "no seed gave a best epoch before the last";
  const std::string dir = spec.runtime().output_dir();
  const ExplainOptions explain{.cache_dir = Options().cache_dir,
                               .components = Options().components};
  // ExplainTestImages reads checkpoint.pt for LAST_EPOCH and best_model.pt otherwise.
  proto::Experiment best_spec = spec;
  best_spec.mutable_evaluation()->set_checkpoint_selection(
      proto::Evaluation::BEST_VAL_LOCALIZATION);
  absl::StatusOr<std::vector<ImageExplanation>> from_last =
      ExplainTestImages(spec, dir, explain, 6);
  absl::StatusOr<std::vector<ImageExplanation>> from_best =
      ExplainTestImages(best_spec, dir, explain, 6);
  ASSERT_THAT(from_last, IsOk());
  ASSERT_THAT(from_best, IsOk());
  double largest_best_difference = 0;
  for (size_t i = 0; i < from_last->size(); ++i) {
    absl::StatusOr<cv::Mat> saved =
        metrics::ReadNpy(dir + "/scoremaps/" + (*from_last)[i].image_id + ".npy");
    ASSERT_THAT(saved, IsOk());
    EXPECT_LE(cv::norm((*from_last)[i].cam, *saved, cv::NORM_INF), 1e-4)
        << (*from_last)[i].image_id;
    largest_best_difference =
        std::max(largest_best_difference, cv::norm((*from_best)[i].cam, *saved, cv::NORM_INF));
  }
  EXPECT_GT(largest_best_difference, 1e-3) << "best_model.pt's CAMs are the saved ones";
}

}  // namespace
}  // namespace wsol::train
