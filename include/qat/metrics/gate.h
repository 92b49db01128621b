// The behaviour gate (configs/gates/*.yaml): thresholds on the student-vs-teacher
// statistics an epoch or exported model must meet to be a candidate.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "qat/core/key_path.h"
#include "qat/metrics/behaviour.h"

namespace qat::metrics {

struct GateVerdict {
  bool passed = false;
  std::vector<std::string> failures;  ///< e.g. "recall 0.9312 < 0.95", "class 8 'Bag' recall 0.9459 (35/37) < 0.95"
  /// "passed" or the failures joined by "; ".
  std::string summary() const;
};

struct Gate {
  double min_recall = 0.95;
  double min_precision_agreement = 0.90;
  double min_median_iou = 0.90;
  double max_confidence_mae = 0.05;
  double min_class_recall = 0.0;

  static Gate from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
  /// Reads a gate file strictly. Throws IoError / ConfigError.
  static Gate load(const std::string& file);

  /// The verdict on `stats`. A class below min_class_recall is named by its id and, when
  /// `class_names` (by class id, the data's) has it, its name, with its matched and teacher
  /// detections: "class 8 'Bag' recall 0.9459 (35/37) < 0.95" ("class 8 recall ..." when
  /// `class_names` is empty).
  GateVerdict check(const BehaviourStats& stats, const std::vector<std::string>& class_names) const;
};

/// What a failed verdict says: its summary, or, when the teacher has no detections
/// at `threshold` on `split` (the gate compares the student with them, so every
/// figure fails for want of them), that, with the remedy: a lower `setting`
/// (eval.score_threshold, --threshold) or a trained model.
std::string refusal_text(const BehaviourStats& stats, const GateVerdict& verdict, double threshold,
                         const std::string& split, const std::string& setting);

}  // namespace qat::metrics
