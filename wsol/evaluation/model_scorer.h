// model_scorer.h
//
// ModelScorer turns a model's outputs on one evaluation split, batch by batch, into the
// split's metrics: top-1 classification, mean entropy and off-target mass of the
// predictions, and every localization metric the annotations allow (through
// SplitEvaluator), saving the score maps when asked. The trainer runs the model and hands
// each batch's log-probabilities and CAMs here; data-parallel processes each score a part
// of the split and sum their counts with Reduce, so every process ends with exactly what
// one process scoring the whole split would.
//
//   WSOL_ASSIGN_OR_RETURN(ModelScorer scorer, ModelScorer::Create(options));
//   for (each batch) WSOL_RETURN_IF_ERROR(scorer.Add(scored_images, log_p));
//   WSOL_RETURN_IF_ERROR(scorer.Reduce(all_reduce_sum));  // data parallel only
//   WSOL_ASSIGN_OR_RETURN(proto::SplitMetrics metrics, scorer.Finish("val"));
#ifndef WSOL_EVALUATION_MODEL_SCORER_H_
#define WSOL_EVALUATION_MODEL_SCORER_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wsol/evaluation/split_evaluator.h"
#include "wsol/metadata/metadata.h"
#include "wsol/proto/results.pb.h"

namespace wsol::evaluation {

struct ModelScorerOptions {
  // The split's records (they must outlive the scorer) and what they are annotated with;
  // without boxes or masks only classification and entropy are scored.
  const metadata::SplitMetadata* images = nullptr;
  bool has_boxes = false;
  bool has_masks = false;
  // Images in the whole split: positions index per-image sums (a process scores a part).
  int64_t total = 0;
  SplitEvaluatorOptions evaluator;
  // A prediction is right when it is any of the image's labels (else its first).
  bool multi_label = false;
  // Where the score maps are saved as .npy ("" saves none).
  std::string scoremap_dir;
};

// One image of a batch: its index into the records, its position in the whole split, its
// labels and its maps (its first label's CAM, then with per_label_maps() each further
// label's), each eval_size x eval_size on the CPU, float or double.
struct ScoredImage {
  int64_t index = 0;
  int64_t position = 0;
  const std::vector<int>* labels = nullptr;
  std::vector<at::Tensor> maps;
};

class ModelScorer {
 public:
  static absl::StatusOr<ModelScorer> Create(const ModelScorerOptions& options);

  // Whether each image takes one CAM per label (multi-label masks, for mPxAP).
  bool per_label_maps() const { return per_label_maps_; }

  // One batch: `log_p` holds the images' log-probabilities (CPU, one row per image).
  absl::Status Add(const std::vector<ScoredImage>& images, const at::Tensor& log_p);

  // Sums this process's counts and per-image values with the other processes' (each
  // tensor in place); call once, after the last Add, on every process.
  using AllReduceSum = std::function<absl::Status(std::vector<at::Tensor>& tensors)>;
  absl::Status Reduce(const AllReduceSum& all_reduce_sum);

  // The split's metrics; FailedPrecondition naming `label` when no image was scored.
  absl::StatusOr<proto::SplitMetrics> Finish(const std::string& label) const;

 private:
  ModelScorer(const ModelScorerOptions& options, std::optional<SplitEvaluator> evaluator);

  ModelScorerOptions options_;
  std::optional<SplitEvaluator> evaluator_;
  bool per_label_maps_ = false;
  int64_t images_ = 0, correct_ = 0;
  // Per image, at its position in the whole split, summed in that order at the end.
  std::vector<double> entropy_, off_target_;
};

// Model selection's score: MaxBoxAccV2 for boxes, mPxAP for multi-label masks, else PxAP.
double LocalizationScore(const proto::SplitMetrics& metrics);

}  // namespace wsol::evaluation

#endif  // WSOL_EVALUATION_MODEL_SCORER_H_
