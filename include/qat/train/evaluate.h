// Runs a detector over a split and scores it against ground truth.
#pragma once

#include <string>
#include <vector>

#include "qat/graph/executor.h"
#include "qat/model/detector.h"
#include "qat/recipe/sections.h"
#include "qat/train/detection_set.h"

namespace qat::data { class DataLoader; }
namespace qat::dist { class Group; }

namespace qat::train {

/// mAP counts every detection scoring at least this.
constexpr double kMapScoreFloor = 0.001;

struct Evaluation {
  double map50 = 0;                      ///< mAP at IoU 0.5 over classes with ground truth
  std::vector<double> ap_per_class;      ///< NaN for classes without ground truth
  std::vector<double> recall_at_threshold;  ///< per class, detections at the deployed threshold
  double recall_at_threshold_mean = 0;
  int64_t images = 0;
};

/// Scores `set` (collected from kMapScoreFloor or lower) against `truth` (one entry per
/// image of `set`, in its order): mAP over every detection of `set`, recall per class of
/// those scoring at least `threshold` (the deployed threshold) and its mean over the
/// classes with ground truth.
Evaluation evaluate_detections(const DetectionSet& set, const GroundTruth& truth, int num_classes, double threshold,
                               double match_iou);

/// Runs `executor` (a detector graph; put it in eval mode first) over one pass of
/// `loader` without grad. mAP uses all detections above kMapScoreFloor; recall is also
/// reported at `eval.score_threshold`, the deployed threshold. With `group`, `loader`
/// reads this rank's shard of the split (RunContext::loader(LoaderPurpose::eval, ...)):
/// the ranks gather the detections and ground truth and each scores the whole split,
/// the figures one process computes.
Evaluation evaluate_detector(const graph::Executor& executor, const model::DetectorInfo& info,
                             data::DataLoader& loader, const EvalSection& eval, dist::Group* group = nullptr);

}  // namespace qat::train
