#include "qat/metrics/gate.h"

#include <cstdio>

#include "qat/core/atomic_file.h"
#include "qat/core/did_you_mean.h"
#include "qat/core/yaml_map.h"
#include "qat/metrics/behaviour_metrics.h"

namespace qat::metrics {

std::string GateVerdict::summary() const { return passed ? "passed" : join(failures, "; "); }

Gate Gate::from_yaml(const YAML::Node& node, const KeyPath& path) {
  YamlMap m(node, path);
  Gate g;
  for (const auto& metric : behaviour_metrics()) {
    g.*metric.bound = m.get_in(metric.gate_key(), g.*metric.bound, 0.0, 1.0);
  }
  g.min_class_recall = m.get_in("min_class_recall", g.min_class_recall, 0.0, 1.0);
  m.finish();
  return g;
}

YAML::Node Gate::to_yaml() const {
  YAML::Node n;
  for (const auto& metric : behaviour_metrics()) n[metric.gate_key()] = yaml_number(this->*metric.bound);
  n["min_class_recall"] = yaml_number(min_class_recall);
  return n;
}

Gate Gate::load(const std::string& file) {
  return from_yaml(load_yaml_file(file), KeyPath(file));
}

namespace {

std::string fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4f", v);
  return buf;
}

std::string shortest(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

// "class 8 'Bag' recall 0.9459 (35/37)": the id, the name when known, and the teacher's
// detections the student matched of all of them: a rare class's recall rests on few.
std::string class_recall_text(const BehaviourStats& s, size_t c, const std::vector<std::string>& class_names) {
  std::string text = "class " + std::to_string(c);
  if (c < class_names.size()) text += " '" + class_names[c] + "'";
  text += " recall " + fixed(s.recall_per_class[c]);
  if (c < s.matched_per_class.size()) {
    text += " (" + std::to_string(s.matched_per_class[c]) + "/" + std::to_string(s.teacher_per_class[c]) + ")";
  }
  return text;
}

}  // namespace

GateVerdict Gate::check(const BehaviourStats& s, const std::vector<std::string>& class_names) const {
  GateVerdict v;
  for (const auto& metric : behaviour_metrics()) {
    if (metric.meets(s, *this)) continue;
    char value[32];
    std::snprintf(value, sizeof(value), "%.*f", metric.decimals, s.*metric.value);
    v.failures.push_back(std::string(metric.label) + " " + value + (metric.better == Better::higher ? " < " : " > ") +
                         shortest(this->*metric.bound));
  }
  if (min_class_recall > 0) {
    for (size_t c = 0; c < s.recall_per_class.size(); ++c) {
      if (c < s.teacher_per_class.size() && s.teacher_per_class[c] > 0 && s.recall_per_class[c] < min_class_recall) {
        v.failures.push_back(class_recall_text(s, c, class_names) + " < " + shortest(min_class_recall));
      }
    }
  }
  v.passed = v.failures.empty();
  return v;
}

std::string refusal_text(const BehaviourStats& stats, const GateVerdict& verdict, double threshold,
                         const std::string& split, const std::string& setting) {
  if (verdict.passed || stats.teacher_count > 0) return verdict.summary();
  return "the teacher detects nothing at threshold " + shortest(threshold) + " on split '" + split +
         "', so the gate has no detections to compare the student with (lower " + setting +
         ", or use a trained model)";
}

}  // namespace qat::metrics
