#include "qat/quant/quant_plan.h"

#include <algorithm>
#include <map>

#include "qat/core/did_you_mean.h"
#include "qat/core/error.h"
#include "qat/graph/name_pattern.h"

namespace qat::quant {
namespace {

QuantSpec spec_of(const QuantTensorSection& s, int64_t axis) {
  QuantSpec spec;
  spec.bits = s.bits;
  spec.is_signed = true;
  spec.symmetric = s.symmetric;
  spec.narrow_range = s.narrow_range;
  spec.axis = s.per_channel ? axis : -1;
  spec.validate();
  return spec;
}

// The output-channel axis of a quantized op's weight.
int64_t weight_axis(const graph::Node& node, const graph::Graph& graph) {
  if (node.op_type == "Conv") return 0;
  if (node.op_type == "Gemm") return node.attrs.get_int("transB", 0) ? 0 : 1;
  return graph.initializer(node.inputs[1]).dim() - 1;  // MatMul: B is [..., K, N]
}

// Groups the quantized inputs of every Concat whose output is quantized (transitively:
// a value in two such Concats joins both groups) and points each member at the group's
// first point in plan order.
void share_concat_scales(const graph::Graph& graph, const std::map<std::string, size_t>& activation_point,
                         QuantPlan& plan) {
  std::vector<size_t> parent(plan.points.size());
  for (size_t i = 0; i < parent.size(); ++i) parent[i] = i;
  auto root = [&](size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (const auto& node : graph.nodes()) {
    if (node.op_type != "Concat" || !activation_point.count(node.outputs[0])) continue;
    std::vector<size_t> members;
    for (const auto& in : node.inputs) {
      auto it = activation_point.find(in);
      if (it != activation_point.end()) members.push_back(root(it->second));
    }
    for (size_t m : members) {
      const size_t a = root(members.front()), b = root(m);
      parent[std::max(a, b)] = std::min(a, b);  // the earlier point stays the root
    }
  }
  for (size_t i = 0; i < parent.size(); ++i) {
    if (root(i) != i) plan.points[i].shares_with = plan.points[root(i)].value;
  }
}

}  // namespace

bool is_quantizable(const std::string& op_type) {
  return op_type == "Conv" || op_type == "Gemm" || op_type == "MatMul";
}

QuantPlan make_quant_plan(const graph::Graph& graph, const QuantSection& section) {
  const graph::NameSelector region(section.include, section.exclude);
  QuantPlan plan;
  std::map<std::string, size_t> activation_point;  // value → index in plan.points
  auto add_activation = [&](const std::string& value, const std::string& node, size_t input) {
    auto it = activation_point.find(value);
    if (it == activation_point.end()) {
      QuantPoint p;
      p.value = value;
      p.spec = spec_of(section.activations, -1);
      p.observer = section.activations.observer;
      activation_point[value] = plan.points.size();
      plan.points.push_back(p);
      it = activation_point.find(value);
    }
    plan.points[it->second].edges.emplace_back(node, input);
  };

  for (const auto& node : graph.nodes()) {
    if (!region.selects(node.name)) continue;
    if (is_quantizable(node.op_type)) {
      plan.quantized_nodes.push_back(node.name);
      if (!graph.has_initializer(node.inputs[0])) add_activation(node.inputs[0], node.name, 0);
      if (graph.has_initializer(node.inputs[1])) {
        QuantPoint w;
        w.value = node.inputs[1];
        w.is_weight = true;
        w.spec = spec_of(section.weights, weight_axis(node, graph));
        w.observer = section.weights.observer;
        w.edges.emplace_back(node.name, 1);
        plan.points.push_back(w);
      } else {
        add_activation(node.inputs[1], node.name, 1);  // MatMul of two activations
      }
    } else if (section.quantize_residual_add && node.op_type == "Add" &&
               !graph.has_initializer(node.inputs[0]) && !graph.has_initializer(node.inputs[1])) {
      add_activation(node.inputs[0], node.name, 0);
      add_activation(node.inputs[1], node.name, 1);
    }
  }
  if (section.share_concat_scales) share_concat_scales(graph, activation_point, plan);
  if (plan.quantized_nodes.empty()) {
    throw Error("the quantization region (include: " + join(section.include) + "; exclude: " +
                join(section.exclude) + ") selects no Conv, Gemm or MatMul node");
  }
  return plan;
}

}  // namespace qat::quant
