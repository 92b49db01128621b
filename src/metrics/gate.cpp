#include "qat/metrics/gate.h"

#include <cstdio>

#include "qat/core/atomic_file.h"
#include "qat/core/did_you_mean.h"
#include "qat/core/yaml_map.h"

namespace qat::metrics {

std::string GateVerdict::summary() const { return passed ? "passed" : join(failures, "; "); }

Gate Gate::from_yaml(const YAML::Node& node, const KeyPath& path) {
  YamlMap m(node, path);
  Gate g;
  g.min_recall = m.get_in("min_recall", g.min_recall, 0.0, 1.0);
  g.min_precision_agreement = m.get_in("min_precision_agreement", g.min_precision_agreement, 0.0, 1.0);
  g.min_median_iou = m.get_in("min_median_iou", g.min_median_iou, 0.0, 1.0);
  g.max_confidence_mae = m.get_in("max_confidence_mae", g.max_confidence_mae, 0.0, 1.0);
  g.min_class_recall = m.get_in("min_class_recall", g.min_class_recall, 0.0, 1.0);
  m.finish();
  return g;
}

YAML::Node Gate::to_yaml() const {
  YAML::Node n;
  n["min_recall"] = yaml_number(min_recall);
  n["min_precision_agreement"] = yaml_number(min_precision_agreement);
  n["min_median_iou"] = yaml_number(min_median_iou);
  n["max_confidence_mae"] = yaml_number(max_confidence_mae);
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

}  // namespace

GateVerdict Gate::check(const BehaviourStats& s) const {
  GateVerdict v;
  auto at_least = [&](const std::string& name, double value, double min) {
    if (value < min) v.failures.push_back(name + " " + fixed(value) + " < " + shortest(min));
  };
  at_least("recall", s.recall, min_recall);
  at_least("precision agreement", s.precision_agreement, min_precision_agreement);
  at_least("median IoU", s.median_iou, min_median_iou);
  if (s.confidence_mae > max_confidence_mae) {
    v.failures.push_back("confidence MAE " + fixed(s.confidence_mae) + " > " + shortest(max_confidence_mae));
  }
  if (min_class_recall > 0) {
    for (size_t c = 0; c < s.recall_per_class.size(); ++c) {
      if (c < s.teacher_per_class.size() && s.teacher_per_class[c] > 0) {
        at_least("class " + std::to_string(c) + " recall", s.recall_per_class[c], min_class_recall);
      }
    }
  }
  v.passed = v.failures.empty();
  return v;
}

}  // namespace qat::metrics
