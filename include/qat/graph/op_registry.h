// Op type → kernel factory. A factory runs once per node when an Executor is
// built: it reads attributes and constant inputs then, so running the graph does
// no parsing. Adding an op is one kernel file entry plus a line in registry.cpp.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <vector>

#include "qat/core/registry.h"
#include "qat/graph/graph.h"
#include "qat/graph/op_traits.h"

namespace qat::graph {

struct KernelContext {
  bool training = false;  ///< BatchNormalization uses batch statistics and updates its buffers
};

/// Computes a node's outputs from its inputs (omitted optional inputs are undefined tensors).
using Kernel = std::function<std::vector<at::Tensor>(const std::vector<at::Tensor>& inputs,
                                                     const KernelContext& context)>;

/// Builds the kernel of `node`; may read constant inputs from `graph`'s initializers.
using KernelFactory = Kernel (*)(const Node& node, const Graph& graph);

struct OpSpec {
  KernelFactory make;
  int min_inputs;
  int max_inputs;
  OpTraits traits = {};  ///< what the op supports (op_traits.h)
};

/// The built-in ops (src/graph/ops/registry.cpp).
const Registry<OpSpec>& op_registry();

/// The values of constant input `index` of `node` (an initializer) as int64s.
/// Throws qat::Error naming the node when the input is not a constant.
std::vector<int64_t> constant_ints(const Node& node, const Graph& graph, size_t index);
/// Same, as doubles.
std::vector<double> constant_floats(const Node& node, const Graph& graph, size_t index);

}  // namespace qat::graph
