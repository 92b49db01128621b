// The `eval:` section of a recipe: how detections are produced and matched.
// Read and written by recipe/sections.cpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include "qat/core/key_path.h"

namespace qat {

/// `eval:` how detections are produced and matched.
struct EvalSection {
  double score_threshold = 0.70;  ///< the deployed confidence threshold
  double nms_iou = 0.6;
  double match_iou = 0.5;
  int max_detections = 100;

  static EvalSection from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

}  // namespace qat
