// Shapes and shape values of a Graph found without running it: ONNX's shape
// inference with data propagation (onnx::shape_inference::InferShapes, ONNX 1.12)
// on the graph written back as an ONNX model, parameters given by type and shape
// only. Data propagation computes the values of shape arithmetic (Shape, Gather,
// Slice, Concat, Cast, Squeeze, Unsqueeze, Add/Sub/Mul, Size), which lets the
// importer fold `Shape -> Gather -> Concat` chains that read only static dims
// while the batch dimension stays symbolic.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "qat/graph/fold_constants.h"
#include "qat/graph/graph.h"

namespace qat::graph {

/// What inference found: the shape of every value it could type (-1 marks a
/// symbolic or unknown dimension) and the value of every shape-like tensor whose
/// elements are all known (int64 as ONNX computes them, cast to the value's type).
struct ShapeInfo {
  StaticShapes shapes;
  std::map<std::string, at::Tensor> values;
};

/// Infers `graph` with each graph input's shape replaced by `input_shapes`
/// where given (others as declared; -1 stays symbolic, dimension 0 of every input
/// sharing the symbol "batch"). Inference failures of single nodes only leave
/// their outputs unknown. The graph is in the IR's opset-13 form, so it is
/// inferred as opset 17.
ShapeInfo infer_shapes(const Graph& graph, const StaticShapes& input_shapes = {});

/// The static shapes of the graph outputs for inputs of `input_shapes` (for a
/// probe: the anchor and class counts of a dynamic-batch export at one batch).
/// Dimensions inference cannot find are -1; an output it cannot type is absent.
StaticShapes infer_output_shapes(const Graph& graph, const StaticShapes& input_shapes);

}  // namespace qat::graph
