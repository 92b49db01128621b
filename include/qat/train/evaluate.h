// Runs a detector over a split and scores it against ground truth.
#pragma once

#include <string>
#include <vector>

#include "qat/graph/executor.h"
#include "qat/metrics/map.h"
#include "qat/model/detector.h"
#include "qat/recipe/sections.h"

namespace qat::data { class DataLoader; }

namespace qat::train {

struct Evaluation {
  double map50 = 0;                      ///< mAP at IoU 0.5 over classes with ground truth
  std::vector<double> ap_per_class;      ///< NaN for classes without ground truth
  std::vector<double> recall_at_threshold;  ///< per class, detections at the deployed threshold
  double recall_at_threshold_mean = 0;
  int64_t images = 0;
};

/// The figures of `all` (every detection above the score floor: mAP) and `deployed`
/// (the detections at the deployed threshold: recall per class, and their mean over
/// the classes with ground truth) after `images` images.
Evaluation evaluation_of(const metrics::MapEvaluator& all, const metrics::MapEvaluator& deployed, int64_t images);

/// Runs `executor` (a detector graph; put it in eval mode first) over one pass of
/// `loader` without grad. mAP uses all detections above a low score floor (0.001);
/// recall is also reported at `eval.score_threshold`, the deployed threshold.
Evaluation evaluate_detector(const graph::Executor& executor, const model::DetectorInfo& info,
                             data::DataLoader& loader, const EvalSection& eval);

}  // namespace qat::train
