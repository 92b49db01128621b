// Choosing the student's operating threshold: the teacher's deployed threshold
// if the student passes the gate there, else the passing threshold nearest to it
// within a search range (a candidate may need 0.69 where FP32 used 0.70).
#pragma once

#include <string>
#include <vector>

#include "qat/metrics/gate.h"
#include "qat/train/detection_set.h"

namespace qat::train {

struct ThresholdRange {
  double lo = 0.60;
  double hi = 0.75;
  double step = 0.01;
};

struct ThresholdCandidate {
  double threshold = 0;
  metrics::BehaviourStats stats;
  metrics::GateVerdict verdict;
};

struct ThresholdChoice {
  bool found = false;
  double threshold = 0;  ///< the chosen one (valid when found)
  ThresholdCandidate chosen;
  std::vector<ThresholdCandidate> table;  ///< the teacher threshold first, then the range ascending
};

/// `student` must have been collected with score_floor <= range.lo and <= teacher_threshold.
/// Ties in distance to the teacher threshold go to the higher threshold. `class_names`
/// (one per class, by id) name the classes in the verdicts' failures.
ThresholdChoice search_threshold(const DetectionSet& teacher, double teacher_threshold, const DetectionSet& student,
                                 const metrics::Gate& gate, const ThresholdRange& range,
                                 const std::vector<std::string>& class_names, double match_iou);

}  // namespace qat::train
