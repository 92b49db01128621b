#include "train/behaviour_json.h"

#include "qat/metrics/behaviour_metrics.h"

namespace qat::train {

nlohmann::json behaviour_to_json(const metrics::BehaviourStats& s) {
  nlohmann::json j = {{"teacher_count", s.teacher_count},
                      {"student_count", s.student_count},
                      {"matched", s.matched},
                      {"recall_per_class", s.recall_per_class},
                      {"teacher_per_class", s.teacher_per_class},
                      {"misses",
                       {{"below_threshold", s.misses.below_threshold},
                        {"wrong_class", s.misses.wrong_class},
                        {"box", s.misses.box},
                        {"absent", s.misses.absent},
                        {"teacher_scores", s.missed_teacher_scores}}}};
  for (const auto& m : metrics::behaviour_metrics()) j[m.name] = s.*m.value;
  return j;
}

nlohmann::json gate_to_json(const metrics::Gate& g) {
  return {{"min_recall", g.min_recall},
          {"min_precision_agreement", g.min_precision_agreement},
          {"min_median_iou", g.min_median_iou},
          {"max_confidence_mae", g.max_confidence_mae},
          {"min_class_recall", g.min_class_recall}};
}

nlohmann::json calibration_to_json(const CalibrationSet& set) {
  nlohmann::json objects = nlohmann::json::object();
  for (size_t c = 0; c < set.class_objects.size(); ++c) objects[set.class_names.at(c)] = set.class_objects[c];
  return {{"sampling", set.sampling}, {"images", set.images}, {"class_objects", objects}};
}

}  // namespace qat::train
