// run_folder.h
//
// A run's folder and the files in it, the one rule the trainer and the tables share:
//   <cache_dir>/runs/<ResultFingerprint(spec)>/   (or runtime.output_dir)
//     spec.pbtxt     the spec as run
//     checkpoint.pt  weights, optimizer and progress after the last finished epoch
//     best_model.pt  the weights of the best epoch by validation localization
//     history.csv    one line per epoch (EpochRecord)
//     results.json   wsol.proto.RunResults, protobuf's JSON mapping (results.proto names)
//     scoremaps/     the test CAMs as .npy, with evaluation.save_scoremaps
//     run.lock       while a process trains the run (wsol/util/file_lock.h): another
//                    process sharing the cache skips the run instead of training it too
// Every file is written atomically (a temporary file, then a rename).
//
//   RunFolder folder(RunFolder::PathFor(spec, "wsol_cache"));
//   absl::StatusOr<proto::RunResults> done = folder.ReadResults();  // NotFound: not run
#ifndef WSOL_TRAIN_RUN_FOLDER_H_
#define WSOL_TRAIN_RUN_FOLDER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wsol/proto/experiment.pb.h"
#include "wsol/proto/results.pb.h"

namespace wsol::train {

class RunFolder {
 public:
  // runtime.output_dir when set, else <cache_dir>/runs/<ResultFingerprint(spec)>.
  static std::string PathFor(const proto::Experiment& spec, const std::string& cache_dir);
  // <cache_dir>/runs/<fingerprint>.
  static std::string PathForFingerprint(const std::string& cache_dir,
                                        const std::string& fingerprint);

  explicit RunFolder(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }
  std::string checkpoint() const;
  std::string best_model() const;
  std::string scoremaps() const;
  std::string lock() const;

  // Creates the folder (and its parents).
  absl::Status Create() const;
  absl::Status WriteSpec(const proto::Experiment& spec) const;
  absl::Status WriteHistory(const std::vector<proto::EpochRecord>& history) const;
  // Writes results.json (creating the folder).
  absl::Status WriteResults(const proto::RunResults& results) const;
  // NotFound when the run has no results yet, DataLoss when they are unreadable.
  absl::StatusOr<proto::RunResults> ReadResults() const;

  // history.csv's text for `history`, and back (the checkpoint keeps this text, so a
  // resumed run's history is exactly the uninterrupted one's).
  static std::string HistoryCsv(const std::vector<proto::EpochRecord>& history);
  static std::vector<proto::EpochRecord> ParseHistoryCsv(const std::string& csv);

 private:
  std::string path_;
};

// Whether `results` can be shown as the result of the spec with `fingerprint`: its stored
// spec_fingerprint is that one, and every metric is there and is a number in its range
// (accuracies and PxAP in [0, 100], entropies finite and >= 0, thresholds in [0, 1]).
// InvalidArgument lists each problem by field.
absl::Status ValidateResults(const proto::RunResults& results, const std::string& fingerprint);

// The results in `run_dir` if they are the results of the spec with `fingerprint`
// (ValidateResults): NotFound when there are none, DataLoss when unreadable,
// InvalidArgument when they belong to another spec or hold impossible numbers.
absl::StatusOr<proto::RunResults> ReadVerifiedResults(const std::string& run_dir,
                                                      const std::string& fingerprint);

// ReadResults / WriteResults of the folder `run_dir`.
absl::StatusOr<proto::RunResults> ReadResults(const std::string& run_dir);
absl::Status WriteResults(const proto::RunResults& results, const std::string& run_dir);

}  // namespace wsol::train

#endif  // WSOL_TRAIN_RUN_FOLDER_H_
