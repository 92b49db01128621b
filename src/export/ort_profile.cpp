// ONNX Runtime's CPU kernels (docs/export.md): its QDQ transformer fuses a node with
// DequantizeLinear inputs and a QuantizeLinear output into the node's integer kernel,
// and drops a Q/DQ pair around a node that only moves values on one grid. So every op
// between two Convs that has an integer kernel gets Q/DQ on its output (the rules
// below), activations use uint8 (the x86 kernels' type) and Conv biases are int32.
#include <limits>
#include <set>

#include "export/qdq_rewrite.h"
#include "qat/core/error.h"
#include "qat/export/export_profile.h"
#include "qat/graph/op_traits.h"

namespace qat::exporter {

quant::Placement ort_placement() {
  using quant::PlacementAction;
  using quant::PlacementMatch;
  quant::Placement p;
  p.every_reader = true;
  p.rules = {
      // 0=DQ X, 1=DQ W, 2=DQ B, 3=Conv, 4=Q → QLinearConv
      {"conv_output", {"Conv"}, PlacementMatch::quantized_op, PlacementAction::quantize_output, {}},
      // 0=DQ X, 1=Sigmoid, 2=Q → QLinearSigmoid; its range is [0, 1]: scale 1/255, uint8 zero point 0.
      // SiLU stays two integer kernels: a float SiLU between DQ and Q is slower in ONNX Runtime
      // 1.23.2, as Sigmoid + Mul (its DQ is duplicated, so no QuickGelu fusion) or as QuickGelu
      // (a Transpose each side: QuickGelu has no NHWC form between the NHWC QLinearConvs).
      // Measured in docs/export.md, "Deployed latency".
      {"sigmoid_output", {"Sigmoid"}, PlacementMatch::quantized_inputs, PlacementAction::fixed_output,
       {1.0 / 255.0, -128}},
      // 0=DQ A, 1=DQ B, 2=Mul|Add, 3=Q → QLinearMul | QLinearAdd (SiLU's Mul, residual Adds)
      {"binary_output", {"Mul", "Add"}, PlacementMatch::quantized_inputs, PlacementAction::quantize_output, {}},
      // 0..n-1=DQ inputs, n=Concat, n+1=Q → QLinearConcat
      {"concat_output", {"Concat"}, PlacementMatch::quantized_inputs, PlacementAction::quantize_output, {}},
      // 0=DQ X, 1=Split|MaxPool|Resize, 2..=Q on the same grid → the op on the integers
      {"same_grid_outputs", {"Split", "MaxPool", "Resize"}, PlacementMatch::quantized_inputs,
       PlacementAction::share_input, {}},
  };
  return p;
}

namespace {

class OrtProfile final : public ExportProfile {
 public:
  std::string name() const override { return "ort"; }
  quant::Placement placement() const override { return ort_placement(); }
  bool uint8_activations() const override { return true; }

  void validate(const graph::Graph& graph, const quant::QuantPlan& plan,
                const std::map<std::string, quant::QParams>& qparams) const override {
    ExportProfile::validate(graph, plan, qparams);
    std::set<std::string> planned;
    for (const auto& p : plan.points) {
      if (!p.is_weight) planned.insert(p.value);
    }
    for (const auto& name : plan.quantized_nodes) {
      const graph::Node& node = *graph.find_node(name);
      if (!graph::op_traits(node.op_type).ort_integer_output || graph.consumers(node.outputs[0]).empty()) continue;
      QAT_CHECK(planned.count(node.outputs[0]), "the ort profile needs the output of Conv '", name,
                "' quantized: plan the student with the ort profile's placement");
      const auto& qp = qparams.at(node.outputs[0]);
      QAT_CHECK(qp.scale.numel() == 1 && qp.zero_point.numel() == 1, "output qparams of '", node.outputs[0],
                "' must be per tensor");
    }
  }

  // Bias: int32 on the accumulator's grid, scale input_scale * weight_scale, zero point 0.
  PreparedExport prepare(const graph::Graph& graph, const quant::QuantPlan& plan,
                         const std::map<std::string, quant::QParams>& qparams) const override {
    std::map<std::pair<std::string, size_t>, const quant::QuantPoint*> point_of_edge;
    for (const auto& p : plan.points) {
      for (const auto& edge : p.edges) point_of_edge[edge] = &p;
    }
    PreparedExport out;
    for (const auto& name : plan.quantized_nodes) {
      const graph::Node& conv = *graph.find_node(name);
      const graph::OpTraits& traits = graph::op_traits(conv.op_type);
      if (!traits.ort_integer_output || !traits.bias_input) continue;
      const size_t bi = *traits.bias_input;
      if (conv.inputs.size() <= bi || conv.inputs[bi].empty() || !graph.has_initializer(conv.inputs[bi])) continue;
      auto input_point = point_of_edge.find({name, 0});
      auto weight_point = point_of_edge.find({name, *traits.weight_input});
      if (input_point == point_of_edge.end() || weight_point == point_of_edge.end()) continue;
      const auto& in_qp = qparams.at(input_point->second->value);
      const auto& w_qp = qparams.at(weight_point->second->value);
      const at::Tensor scale = (in_qp.scale.to(at::kFloat) * w_qp.scale.to(at::kFloat)).reshape({-1}).contiguous();
      const at::Tensor bias = graph.initializer(conv.inputs[bi]).detach().to(at::kFloat).reshape({-1});
      // Half to even, as ONNX QuantizeLinear; the division in double so the int32 is the nearest one.
      const at::Tensor q = (bias.to(at::kDouble) / scale.to(at::kDouble))
                               .round()
                               .clamp(std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max())
                               .to(at::kInt)
                               .contiguous();
      out.biases.push_back({name, bi, q, scale.numel() > 1 ? scale : scale.reshape({})});
    }
    return out;
  }

  void rewrite(const graph::Graph& graph, const PreparedExport& prepared, detail::QdqRewrite& rewrite) const override {
    for (const auto& b : prepared.biases) {
      const std::string& bias_name = graph.find_node(b.node)->inputs[b.input];
      const bool per_channel = b.scale.dim() > 0;
      const at::Tensor zp = per_channel ? at::zeros({b.scale.numel()}, at::kInt) : at::zeros({}, at::kInt);
      // A bias several Convs share (a reused head) gets one int32 copy per Conv: each has its own input scale.
      const std::string int32_name = graph.consumers(bias_name).size() == 1 ? bias_name : b.node + "/bias";
      rewrite.rewired[{b.node, b.input}] =
          rewrite.add_constant(int32_name, b.q, b.scale, zp, per_channel ? 0 : -1, b.node);
      rewrite.dropped_initializers.insert(bias_name);
    }
  }
};

}  // namespace

std::unique_ptr<ExportProfile> make_ort_profile() { return std::make_unique<OrtProfile>(); }

}  // namespace qat::exporter
