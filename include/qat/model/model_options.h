// The `model:` section of a recipe: a native architecture or an imported ONNX
// detector and its head. Read and written by recipe/sections.cpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "qat/core/key_path.h"

namespace qat {

/// `model.head:` where an imported ONNX detector's contract values are, in one of
/// three layouts (docs/recipes.md "Imported models"); model/head_adapter.h turns
/// each into the contract's boxes [B,A,4] xyxy and scores [B,A,C].
struct OnnxHeadSection {
  /// boxes_scores: outputs `boxes` [B,A,4] xyxy and `scores` [B,A,C] as they are;
  /// ultralytics: one output `output` [B,4+C,A], cx,cy,w,h then sigmoid scores;
  /// general: outputs `boxes` and `scores` (or the `score_inputs` factors) in
  /// `box_format`, channel-last or channel-first, `score` applied to them.
  std::string layout = "boxes_scores";
  std::string input = "images";    ///< graph input, float [B,3,S,S] in [0,1]
  std::string output = "output0";  ///< ultralytics: the one output [B,4+C,A]
  std::string boxes = "boxes";     ///< boxes_scores, general: graph output of the boxes
  std::string scores = "scores";   ///< boxes_scores, general: graph output of the scores
  std::string box_format = "xyxy"; ///< general: xyxy | cxcywh | xywh (x,y the top-left corner)
  std::string channels = "last";   ///< general: last ([B,A,4], [B,A,C]) | first ([B,4,A], [B,C,A])
  /// general: none (the scores output is in [0,1]) | sigmoid | softmax (over the
  /// classes, of the scores output) | product (geometric mean of the sigmoids of
  /// `score_inputs`, e.g. FCOS's sqrt(sigmoid(cls) * sigmoid(ctr)))
  std::string score = "none";
  std::vector<std::string> score_inputs;  ///< general, score product: the factor outputs ([B,A,C] or [B,A,1])
  /// value whose sigmoid is the scores, in the layout's orientation; empty: found
  /// automatically (the input of the Sigmoid making the scores), else none
  std::string logits;
  std::string anchor_points;     ///< initializer or Constant [A,2], [2,A], [1,2,A] or [1,A,2] (cx, cy) pixels; empty: none
  std::string anchor_strides;    ///< initializer or Constant [A], [A,1], [1,A] or [1,1,A] pixels; empty: none

  static OnnxHeadSection from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

/// `model:` which detector to build (`arch:`) or import (`onnx:` + `head:`).
struct ModelSection {
  std::string arch = "configs/arch/yolo-nano.yaml";  ///< architecture YAML; empty when onnx is set
  std::string onnx;      ///< FP32 ONNX detector (graph::import_onnx); excludes arch
  OnnxHeadSection head;  ///< only with onnx

  bool is_onnx() const { return !onnx.empty(); }

  static ModelSection from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

}  // namespace qat
