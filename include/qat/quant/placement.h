// Q/DQ placement rules as data, after ONNX Runtime's QDQ selector/action transformers
// (core/optimizer/qdq_transformer/selectors_actions/): a rule is a node pattern (op
// types inside the region, and what must already be quantized) plus an action on the
// node's outputs. An export profile lists the rules of its target
// (export/export_profile.h); make_quant_plan applies them after the quantized ops' own
// inputs (quant_plan.h), so every Q/DQ pair a profile writes is a fake quantizer in
// training and in the ONNX Runtime re-check.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qat/graph/graph.h"
#include "qat/graph/name_pattern.h"
#include "qat/quant/quant_spec.h"

namespace qat::quant {

struct QuantPlan;

/// What a rule's node must satisfy besides its op type and the region.
enum class PlacementMatch {
  quantized_op,      ///< the node is one of the plan's quantized ops (Conv, Gemm, MatMul)
  quantized_inputs,  ///< every activation input (not an initializer) is planned
};

/// What a matching node's outputs get (an output already planned, or read by no node, is
/// left as it is).
enum class PlacementAction {
  quantize_output,  ///< an observed quantizer of its own (the recipe's activation grid)
  fixed_output,     ///< fixed qparams, never observed nor learned (PlacementRule::fixed)
  share_input,      ///< input 0's quantizer: same grid, so the target drops the Q/DQ pair
};

/// Fixed qparams on the signed 8-bit grid (zero point -128 is uint8's 0).
struct FixedQParams {
  double scale = 1.0;
  int64_t zero_point = 0;
};

struct PlacementRule {
  std::string name;              ///< names the rule in plans and tests
  std::vector<std::string> ops;  ///< op types the rule selects
  PlacementMatch match = PlacementMatch::quantized_inputs;
  PlacementAction action = PlacementAction::quantize_output;
  FixedQParams fixed;            ///< for PlacementAction::fixed_output
};

/// A target's placement beyond the quantized ops' inputs. The default (no rules, only
/// the quantized ops' edges) is TensorRT's rule.
struct Placement {
  /// Applied in graph order, node by node; the first rule whose pattern matches acts.
  std::vector<PlacementRule> rules;
  /// Every reader of a planned activation reads it through the quantizer (the exported
  /// Q/DQ pair sits after its producer), not only the quantized ops.
  bool every_reader = false;
};

/// The grid of a fixed_output point: 8-bit signed, per tensor, asymmetric.
QuantSpec fixed_output_spec();

/// Adds the points `placement` asks for to `plan` (the quantized ops' points already
/// in it); nodes outside `region` are not matched. New observed points take
/// `activations` and `observer`.
void apply_placement(const graph::Graph& graph, const graph::NameSelector& region, const Placement& placement,
                     const QuantSpec& activations, const std::string& observer, QuantPlan& plan);

}  // namespace qat::quant
