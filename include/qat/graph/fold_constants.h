// Folds constant subgraphs into initializers: nodes that compute only from
// constants (shape arithmetic such as Shape -> Gather -> Unsqueeze -> Concat,
// Constant nodes, casts) are run once with the op registry's own kernels and
// replaced by their results, so kernels that need constant inputs see them.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "qat/graph/graph.h"

namespace qat::graph {

/// Known shapes of values (e.g. from ONNX shape inference); -1 marks an unknown dimension.
using StaticShapes = std::map<std::string, std::vector<int64_t>>;

/// Replaces every node whose inputs are all non-trainable initializers (or, for
/// Shape, a value whose shape `shapes` knows completely) by non-trainable
/// initializers holding its outputs, in graph order so chains fold entirely;
/// then removes nodes whose outputs no node or graph output reads.
/// Trainable parameters are never folded into constants. Initializers that only
/// folded nodes read are removed. Returns the number of nodes folded or removed. Throws
/// qat::Error naming the node when its kernel refuses the constants.
/// Nodes whose every output has a value in `known` (shape arithmetic that ONNX's
/// data propagation computed, graph::infer_shapes) are replaced by those values.
int fold_constants(Graph& graph, const StaticShapes& shapes = {},
                   const std::map<std::string, at::Tensor>& known = {});

}  // namespace qat::graph
