// The behaviour metrics of a student against its teacher, as one table: name, getter,
// better direction and how they print. The gate's keys and checks, the QAT epoch
// objective, the metrics.csv columns, report.json and the log lines are made from it,
// so a new metric is one row here (plus its BehaviourStats member and gate bound).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "qat/metrics/behaviour.h"
#include "qat/metrics/gate.h"

namespace qat::metrics {

enum class Better { higher, lower };

struct BehaviourMetric {
  const char* name;   ///< CSV column, JSON key and objective name: "precision_agreement"
  const char* label;  ///< in log lines and gate failures: "precision agreement"
  double BehaviourStats::*value;
  Better better;
  /// The gate's bound: at least it (higher is better, key min_<name>) or at most it (max_<name>).
  double Gate::*bound;
  int decimals;  ///< in log lines and gate failures

  /// "min_recall", "max_confidence_mae": the key in a gate file.
  std::string gate_key() const;
  /// Whether `stats` meets `gate`'s bound for this metric.
  bool meets(const BehaviourStats& stats, const Gate& gate) const;
};

/// recall, precision_agreement, median_iou, confidence_mae, in this order (the CSV's).
const std::vector<BehaviourMetric>& behaviour_metrics();

/// "recall 0.9500<sep>precision agreement 0.9000<sep>..." for log lines.
std::string format_behaviour(const BehaviourStats& stats, const std::string& separator);

/// The rare classes of `stats` for the summary line: among the classes with teacher
/// detections, those whose recall is below `min_class_recall` (when it is above 0),
/// else the `lowest` with the lowest recall; lowest recall first, ties by class id:
/// "Bag 0.8000 (PTQ 0.6000, 10 teacher detections), ...". `ptq` holds the PTQ figures
/// of the same classes. Empty when the teacher detects nothing.
std::string format_rare_classes(const BehaviourStats& stats, const BehaviourStats& ptq,
                                const std::vector<std::string>& class_names, double min_class_recall,
                                size_t lowest);

/// What `qat.objective` may name: every metric, then f1 (of recall and precision agreement).
std::vector<std::string> objective_names();
/// The objective `name` of `stats`, higher is better (a lower-is-better metric is
/// negated); nullopt for a name not in objective_names().
std::optional<double> objective_of(const std::string& name, const BehaviourStats& stats);

}  // namespace qat::metrics
