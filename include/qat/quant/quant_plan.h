// Where quantizers go in a graph, decided once from the recipe's quant section.
//
// TensorRT's rule: a quantized op (a quantizable op by its traits, graph/op_traits.h:
// Conv, Gemm, MatMul inside the region) gets a per-channel weight quantizer on the
// weight's output-channel axis and a per-tensor quantizer on its activation input. A
// value read by several quantized ops gets one shared quantizer (one scale), so the
// exported graph needs one Q/DQ pair for it; so does a weight initializer read by
// several of them, also through see-through ops (Identity, Reshape: graph/weight_source.h). Optionally both
// inputs of residual Adds inside the region are quantized too, and the quantized
// inputs of a Concat whose output is quantized share one quantizer
// (share_concat_scales), so that the Concat joins values on one grid. An export
// profile's placement rules (placement.h) add the points its target needs beyond that.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "qat/graph/graph.h"
#include "qat/quant/placement.h"
#include "qat/quant/quant_options.h"
#include "qat/quant/quant_spec.h"

namespace qat::quant {

struct QuantPoint {
  std::string value;     ///< the quantized tensor: an initializer (weight) or a value name
  bool is_weight = false;
  QuantSpec spec;
  std::string observer;  ///< observer registry name
  /// (node name, input index) edges that read the quantized tensor.
  std::vector<std::pair<std::string, size_t>> edges;
  /// Non-empty: the value of the point whose quantizer this point uses (share_concat_scales).
  std::string shares_with;
  /// Set: the quantizer has these qparams and never observes nor learns (PlacementAction::fixed_output).
  std::optional<FixedQParams> fixed;
};

struct QuantPlan {
  std::vector<QuantPoint> points;
  std::vector<std::string> quantized_nodes;  ///< the Conv/Gemm/MatMul nodes inside the region
};

/// Ops whose inputs are quantized (OpTraits::quantizable).
bool is_quantizable(const std::string& op_type);

/// The plan for `graph` (BatchNorm already folded), with `placement`'s points after the
/// quantized ops' own. Throws qat::Error when the region selects no quantizable op, or
/// when one weight is read in two layouts.
QuantPlan make_quant_plan(const graph::Graph& graph, const QuantSection& section, const Placement& placement = {});

}  // namespace qat::quant
