#include "train/behaviour_json.h"

namespace qat::train {

nlohmann::json behaviour_to_json(const metrics::BehaviourStats& s) {
  return {{"teacher_count", s.teacher_count},
          {"student_count", s.student_count},
          {"matched", s.matched},
          {"recall", s.recall},
          {"precision_agreement", s.precision_agreement},
          {"median_iou", s.median_iou},
          {"confidence_mae", s.confidence_mae},
          {"recall_per_class", s.recall_per_class},
          {"teacher_per_class", s.teacher_per_class},
          {"misses",
           {{"below_threshold", s.misses.below_threshold},
            {"wrong_class", s.misses.wrong_class},
            {"box", s.misses.box},
            {"absent", s.misses.absent},
            {"teacher_scores", s.missed_teacher_scores}}}};
}

nlohmann::json gate_to_json(const metrics::Gate& g) {
  return {{"min_recall", g.min_recall},
          {"min_precision_agreement", g.min_precision_agreement},
          {"min_median_iou", g.min_median_iou},
          {"max_confidence_mae", g.max_confidence_mae},
          {"min_class_recall", g.min_class_recall}};
}

}  // namespace qat::train
