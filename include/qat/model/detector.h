// A detector: the graph plus what callers need to feed it and read its outputs.
//
// Graph contract: input "images" float [B,3,S,S] in [0,1]; outputs "boxes"
// [B,A,4] xyxy input pixels and "scores" [B,A,C] in [0,1]; value "logits"
// [B,A,C] before the sigmoid; constants "head.anchor_points" [A,2] (cx, cy) and
// "head.anchor_strides" [A,1]. Boxes are decoded in the graph:
// xyxy = (cx - l, cy - t, cx + r, cy + b) with ltrb = exp(raw) * stride.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "qat/graph/graph.h"
#include "qat/model/arch_spec.h"

namespace qat::model {

struct DetectorInfo {
  std::string arch;  ///< architecture name
  int64_t num_classes = 0;
  std::vector<std::string> class_names;
  int64_t image_size = 0;
  std::vector<int64_t> strides;
  std::string input = "images";
  std::string boxes = "boxes";
  std::string scores = "scores";
  std::string logits = "logits";  ///< empty: an imported model without a logits value
  std::string anchor_points = "head.anchor_points";  ///< empty: no anchors (imported models may lack them)
  std::string anchor_strides = "head.anchor_strides";
};

struct Detector {
  graph::Graph graph;
  DetectorInfo info;

  /// False for an imported model whose head names no anchor constants.
  bool has_anchors() const { return !info.anchor_points.empty() && !info.anchor_strides.empty(); }
  /// [A,2] (cx, cy) pixels. Throws qat::Error when !has_anchors().
  at::Tensor anchor_points() const;
  /// [A] strides in pixels. Throws qat::Error when !has_anchors().
  at::Tensor anchor_strides() const;
};

/// Builds the native detector for `arch` with freshly initialized parameters
/// (deterministic for `seed`). Throws qat::Error when arch and sizes disagree.
Detector build_detector(const ArchSpec& arch, const std::vector<std::string>& class_names,
                        int64_t image_size, uint64_t seed);

/// A deep copy: parameters and buffers are new tensors (the teacher/student split).
Detector clone_detector(const Detector& detector);

}  // namespace qat::model
