#include "qat/quant/quant_plan.h"

#include <algorithm>
#include <map>

#include "qat/core/did_you_mean.h"
#include "qat/core/error.h"
#include "qat/graph/name_pattern.h"
#include "qat/graph/op_traits.h"
#include "qat/graph/weight_source.h"

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
    if (!graph::op_traits(node.op_type).joins_inputs || !activation_point.count(node.outputs[0])) continue;
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

bool is_quantizable(const std::string& op_type) { return graph::op_traits(op_type).quantizable(); }

QuantPlan make_quant_plan(const graph::Graph& graph, const QuantSection& section, const Placement& placement) {
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

  // One point per weight initializer, however many quantized ops read it and however
  // (directly or through see-through ops): one quantizer, one DequantizeLinear.
  std::map<std::string, size_t> weight_point;  // initializer → index in plan.points
  std::map<std::string, std::pair<std::string, std::vector<int64_t>>> weight_layout;  // first reader, shape read
  auto add_weight = [&](const graph::WeightSource& source, const graph::Node& node, size_t input) {
    const graph::OpTraits& traits = graph::op_traits(node.op_type);
    const int64_t axis = traits.weight_axis(node, static_cast<int64_t>(source.shape.size()));
    auto it = weight_point.find(source.initializer);
    if (it == weight_point.end()) {
      QuantPoint w;
      w.value = source.initializer;
      w.is_weight = true;
      w.spec = spec_of(section.weights, axis);
      w.observer = section.weights.observer;
      weight_point[source.initializer] = plan.points.size();
      weight_layout[source.initializer] = {node.name, source.shape};
      plan.points.push_back(w);
      it = weight_point.find(source.initializer);
    }
    QuantPoint& w = plan.points[it->second];
    const auto& [first, shape] = weight_layout.at(source.initializer);
    if (shape != source.shape || w.spec.axis != spec_of(section.weights, axis).axis) {
      throw Error("weight '" + source.initializer + "' is read by '" + first + "' and '" + node.name +
                  "' in different layouts (shape or channel axis): one quantizer cannot serve both");
    }
    w.edges.emplace_back(node.name, input);
  };

  for (const auto& node : graph.nodes()) {
    if (!region.selects(node.name)) continue;
    const graph::OpTraits& traits = graph::op_traits(node.op_type);
    if (traits.quantizable()) {
      const size_t wi = *traits.weight_input;
      plan.quantized_nodes.push_back(node.name);
      if (!graph.has_initializer(node.inputs[0])) add_activation(node.inputs[0], node.name, 0);
      if (auto source = graph::trace_weight(graph, node.inputs[wi])) {
        add_weight(*source, node, wi);
      } else {
        add_activation(node.inputs[wi], node.name, wi);  // MatMul of two activations
      }
    } else if (section.quantize_residual_add && traits.residual_sum &&
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
  apply_placement(graph, region, placement, spec_of(section.activations, -1), section.activations.observer, plan);
  return plan;
}

}  // namespace qat::quant
