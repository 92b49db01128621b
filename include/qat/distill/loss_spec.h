// One distillation loss as a recipe names it: its type (a key of
// loss_registry()), its weight in the objective and the options of that type.
// Strict like every recipe section: a key that the type does not read is an error.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "qat/core/key_path.h"

namespace qat::distill {

/// The neck outputs of the native detector (strides 8, 16, 32): the features the
/// head reads, so matching them matches everything the head can see.
const std::vector<std::string>& default_feature_taps();

struct LossSpec {
  std::string type;     ///< a name in loss_registry()
  double weight = 1.0;  ///< factor of this loss in DistillObjective's total
  /// feature_mse, feature_cosine: graph values compared between student and teacher.
  std::vector<std::string> taps;
  /// score_bce, score_kl: logits are divided by it; the loss is multiplied by its square.
  double temperature = 1.0;
  /// score_bce: uniform (mean over anchors and classes) | confident (see ScoreBceLoss).
  std::string anchor_weight = "uniform";
  /// score_bce with anchor_weight threshold: the score the weighting centres on (0: the
  /// recipe's eval.score_threshold, filled in by Recipe) and the kernel's width.
  double threshold = 0;
  double band = 0.05;
  /// box_l1_giou: anchors whose highest teacher score is below it are ignored.
  double score_floor = 0.05;

  /// Reads one list entry. Keys: `type` (required), `weight`, and per type
  /// `taps` (feature losses; default default_feature_taps()), `temperature`
  /// (score losses), `anchor_weight`, `threshold`, `band` (score_bce), `score_floor` (box_l1_giou). Throws ConfigError otherwise.
  static LossSpec from_yaml(const YAML::Node& node, const KeyPath& path);
  /// `type`, `weight` and the keys of that type only.
  YAML::Node to_yaml() const;
};

/// A YAML sequence of LossSpec entries; must be a non-empty list.
std::vector<LossSpec> losses_from_yaml(const YAML::Node& list, const KeyPath& path);
/// The inverse of losses_from_yaml.
YAML::Node losses_to_yaml(const std::vector<LossSpec>& losses);

/// feature_mse on default_feature_taps() (1), score_bce at T=1 (1), box_l1_giou
/// (1, floor 0.05), ground_truth (0.1). docs/distillation.md says why.
std::vector<LossSpec> default_losses();

}  // namespace qat::distill
