// How closely a student detector reproduces its teacher's detections at the deployed threshold.
#pragma once

#include <cstdint>
#include <vector>

#include "qat/metrics/detections.h"

namespace qat::metrics {

struct BehaviourStats {
  int64_t teacher_count = 0, student_count = 0, matched = 0;
  double recall = 1;                 ///< matched / teacher_count (1 when teacher_count == 0)
  double precision_agreement = 1;    ///< matched / student_count (1 when student_count == 0)
  double median_iou = 0;             ///< over matches (even count: mean of the middle two); 0 without matches
  double confidence_mae = 0;         ///< mean |student score - teacher score| over matches; 0 without matches
  std::vector<double> recall_per_class;   ///< matched / teacher detections of the class (1 when none)
  std::vector<int64_t> teacher_per_class;
};

/// Accumulates teacher/student detection pairs image by image. The teacher's detections
/// (after NMS, at the deployed threshold) are the reference. Matching per image: teacher
/// detections by score descending (ties: lower index first) each take the unmatched
/// student detection of the same class with the highest IoU (ties: lower index), if that
/// IoU is >= match_iou.
class BehaviourMeter {
 public:
  explicit BehaviourMeter(int num_classes, double match_iou = 0.5);

  /// One image: teacher and student detections, already thresholded.
  void add(const Detections& teacher, const Detections& student);

  BehaviourStats result() const;

 private:
  int num_classes_;
  double match_iou_;
  int64_t teacher_count_ = 0, student_count_ = 0;
  std::vector<double> ious_;          ///< one per match
  std::vector<double> score_errors_;  ///< |student - teacher| per match
  std::vector<int64_t> teacher_per_class_, matched_per_class_;
};

}  // namespace qat::metrics
