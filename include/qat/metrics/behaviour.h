// How closely a student detector reproduces its teacher's detections at the deployed threshold.
#pragma once

#include <cstdint>
#include <vector>

#include "qat/metrics/detections.h"

namespace qat::metrics {

/// Why teacher detections went unmatched, one count per miss, first cause that applies:
/// the student has the detection only below the deployed threshold; it calls it another
/// class; its same-class box overlaps too little (or was claimed by another teacher box);
/// it has nothing there.
struct MissCauses {
  int64_t below_threshold = 0;  ///< same class, IoU >= match_iou, score under the threshold
  int64_t wrong_class = 0;      ///< another class, IoU >= match_iou, above the threshold
  int64_t box = 0;              ///< same class above the threshold, but IoU < match_iou or taken
  int64_t absent = 0;           ///< none of the above
};

struct BehaviourStats {
  int64_t teacher_count = 0, student_count = 0, matched = 0;
  double recall = 1;                 ///< matched / teacher_count (1 when teacher_count == 0)
  double precision_agreement = 1;    ///< matched / student_count (1 when student_count == 0)
  double median_iou = 0;             ///< over matches (even count: mean of the middle two); 0 without matches
  double confidence_mae = 0;         ///< mean |student score - teacher score| over matches; 0 without matches
  std::vector<double> recall_per_class;   ///< matched / teacher detections of the class (1 when none)
  std::vector<int64_t> teacher_per_class;
  std::vector<int64_t> matched_per_class;  ///< teacher detections of the class the student matched
  MissCauses misses;                 ///< sums to teacher_count - matched
  std::vector<double> missed_teacher_scores;  ///< teacher score of every miss, ascending
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
  /// `student_below` (optional) are the student's detections under the threshold, so a
  /// miss can be told apart as a below-threshold one.
  void add(const Detections& teacher, const Detections& student, const Detections* student_below = nullptr);

  BehaviourStats result() const;

 private:
  int num_classes_;
  double match_iou_;
  int64_t teacher_count_ = 0, student_count_ = 0;
  std::vector<double> ious_;          ///< one per match
  std::vector<double> score_errors_;  ///< |student - teacher| per match
  std::vector<int64_t> teacher_per_class_, matched_per_class_;
  MissCauses misses_;
  std::vector<double> missed_teacher_scores_;
};

}  // namespace qat::metrics
