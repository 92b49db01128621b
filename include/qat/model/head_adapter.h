// The head layouts of an imported detector (recipe `model.head.layout`) and the
// adapter that turns a model's own outputs into the detector contract: boxes
// [B,A,4] xyxy input pixels, scores [B,A,C] in [0,1], and logits [B,A,C] with
// scores = sigmoid(logits) when the model has them.
//
// The adapter is a few IR nodes (Transpose, Slice, Mul/Sub/Add/Concat, Sigmoid,
// Softmax, Sqrt/Pow, Clip/Log for logits) named "qat.head/..." appended after the imported outputs,
// whose results "qat.boxes", "qat.scores" (and "qat.logits") are added as graph
// outputs after the model's own. Behaviour, every distillation loss and the
// exporter therefore all see the same values; an exported candidate keeps the
// model's outputs and names and carries the adapted ones as extra outputs. An
// output already in the contract's form (boxes_scores, or general xyxy
// channel-last with score none) is used as it is, without nodes.
#pragma once

#include <string>

#include "qat/graph/executor.h"
#include "qat/graph/graph.h"
#include "qat/model/model_options.h"

namespace qat::model {

/// Where the contract values of an adapted head are.
struct HeadValues {
  std::string boxes;   ///< [B,A,4] xyxy pixels
  std::string scores;  ///< [B,A,C] in [0,1]
  /// [B,A,C], scores = sigmoid(logits): the Sigmoid's input when one makes the scores,
  /// else "qat.logits" = log(s) - log(1 - s) of the scores s clamped to [1e-6, 1 - 1e-6]
  std::string logits;
};

/// Appends the adapter of `head.layout` to `graph` (see the banner) and returns
/// the contract values. A graph that already has the adapter's outputs (a
/// candidate qat exported) is returned as it is. Throws IoError naming `path`
/// for a head value that is not a graph output or has the wrong rank.
HeadValues append_head_adapter(graph::Graph& graph, const OnnxHeadSection& head, const std::string& path);

/// The contract's boxes and scores from a model's own outputs (e.g. ONNX
/// Runtime's, keyed by output name), through the same adapter nodes: a map with
/// "boxes" and "scores". Outputs that already hold the adapted values are read
/// directly. Throws IoError naming `path` for a missing output.
graph::ValueMap adapt_head_outputs(const OnnxHeadSection& head, const graph::ValueMap& outputs,
                                   const std::string& path);

}  // namespace qat::model
