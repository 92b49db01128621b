#include "qat/metrics/behaviour_metrics.h"

#include <algorithm>
#include <cstdio>

namespace qat::metrics {

const std::vector<BehaviourMetric>& behaviour_metrics() {
  static const std::vector<BehaviourMetric> table = {
      {"recall", "recall", &BehaviourStats::recall, Better::higher, &Gate::min_recall, 4},
      {"precision_agreement", "precision agreement", &BehaviourStats::precision_agreement, Better::higher,
       &Gate::min_precision_agreement, 4},
      {"median_iou", "median IoU", &BehaviourStats::median_iou, Better::higher, &Gate::min_median_iou, 4},
      {"confidence_mae", "confidence MAE", &BehaviourStats::confidence_mae, Better::lower, &Gate::max_confidence_mae,
       4},
  };
  return table;
}

std::string BehaviourMetric::gate_key() const { return (better == Better::higher ? "min_" : "max_") + std::string(name); }

bool BehaviourMetric::meets(const BehaviourStats& stats, const Gate& gate) const {
  const double v = stats.*value, b = gate.*bound;
  return better == Better::higher ? !(v < b) : !(v > b);  // as written, so that NaN fails no bound
}

std::string format_behaviour(const BehaviourStats& stats, const std::string& separator) {
  std::string out;
  for (const auto& m : behaviour_metrics()) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%s %.*f", m.label, m.decimals, stats.*m.value);
    if (!out.empty()) out += separator;
    out += buf;
  }
  return out;
}

std::string format_rare_classes(const BehaviourStats& stats, const BehaviourStats& ptq,
                                const std::vector<std::string>& class_names, double min_class_recall,
                                size_t lowest) {
  std::vector<size_t> classes;
  for (size_t c = 0; c < stats.teacher_per_class.size(); ++c) {
    if (stats.teacher_per_class[c] > 0) classes.push_back(c);
  }
  const auto& recall = stats.recall_per_class;
  std::stable_sort(classes.begin(), classes.end(), [&](size_t a, size_t b) { return recall[a] < recall[b]; });
  const auto below = std::find_if(classes.begin(), classes.end(),
                                  [&](size_t c) { return recall[c] >= min_class_recall; });
  classes.resize(min_class_recall > 0 ? static_cast<size_t>(below - classes.begin()) : std::min(lowest, classes.size()));
  std::string out;
  for (size_t c : classes) {
    char buf[160];
    std::snprintf(buf, sizeof(buf), "%s %.4f (PTQ %.4f, %lld teacher detections)", class_names.at(c).c_str(),
                  recall[c], ptq.recall_per_class.at(c), static_cast<long long>(stats.teacher_per_class[c]));
    out += (out.empty() ? "" : ", ") + std::string(buf);
  }
  return out;
}

std::vector<std::string> objective_names() {
  std::vector<std::string> names;
  for (const auto& m : behaviour_metrics()) names.emplace_back(m.name);
  names.emplace_back("f1");
  return names;
}

std::optional<double> objective_of(const std::string& name, const BehaviourStats& s) {
  for (const auto& m : behaviour_metrics()) {
    if (name == m.name) return m.better == Better::higher ? s.*m.value : -(s.*m.value);
  }
  if (name == "f1") {
    const double sum = s.recall + s.precision_agreement;
    return sum > 0 ? 2 * s.recall * s.precision_agreement / sum : 0.0;
  }
  return std::nullopt;
}

}  // namespace qat::metrics
