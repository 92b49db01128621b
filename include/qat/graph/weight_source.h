// Where a quantizable op's weight comes from: an initializer read directly or through
// see-through ops (OpTraits::weight_view: Identity, a Reshape with a constant shape), as
// torch.onnx.export writes a module reused across FPN levels (one initializer, an
// Identity per extra reader). The quant plan gives such a weight one quantizer, BN
// folding and the Q/DQ exporter follow the same path.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "qat/graph/graph.h"

namespace qat::graph {

struct WeightSource {
  std::string initializer;           ///< the weight's initializer
  std::vector<std::string> through;  ///< see-through nodes from the initializer to the reader, in order
  bool same_layout = true;           ///< every node in `through` passes the weight unchanged (Identity)
  std::vector<int64_t> shape;        ///< the weight's shape as the reader gets it
};

/// The source of `value` when it is an initializer or reaches its reader through
/// see-through ops only; nullopt otherwise (an activation).
std::optional<WeightSource> trace_weight(const Graph& graph, const std::string& value);

/// The weight as its reader gets it: the initializer run through `source.through`.
at::Tensor weight_as_read(const Graph& graph, const WeightSource& source);

/// Whether `value` is no graph output and every reader of it, directly or through
/// see-through nodes (their input 0), is one of `edges` ((node name, input index)).
bool read_only_by(const Graph& graph, const std::string& value,
                  const std::set<std::pair<std::string, size_t>>& edges);

}  // namespace qat::graph
