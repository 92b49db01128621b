#include "qat/quant/placement.h"

#include <algorithm>
#include <map>
#include <set>

#include "qat/core/error.h"
#include "qat/quant/quant_plan.h"

namespace qat::quant {

QuantSpec fixed_output_spec() {
  QuantSpec spec;
  spec.bits = 8;
  spec.is_signed = true;
  spec.symmetric = false;
  return spec;
}

namespace {

// p takes the grid of `source` (the owner of the point it shares with).
void share_grid(QuantPoint& p, const QuantPoint& source) {
  p.spec = source.spec;
  p.observer = source.observer;
  p.fixed = source.fixed;
  p.shares_with = source.value;
}

// Each activation point quantizes the value on every edge that reads it.
void add_every_reader_edges(const graph::Graph& graph, QuantPlan& plan) {
  for (auto& p : plan.points) {
    if (p.is_weight) continue;
    std::set<std::pair<std::string, size_t>> have(p.edges.begin(), p.edges.end());
    for (const graph::Node* reader : graph.consumers(p.value)) {
      for (size_t i = 0; i < reader->inputs.size(); ++i) {
        if (reader->inputs[i] == p.value && have.insert({reader->name, i}).second) p.edges.emplace_back(reader->name, i);
      }
    }
  }
}

}  // namespace

void apply_placement(const graph::Graph& graph, const graph::NameSelector& region, const Placement& placement,
                     const QuantSpec& activations, const std::string& observer, QuantPlan& plan) {
  std::map<std::string, size_t> activation_point;  // value → index in plan.points
  for (size_t i = 0; i < plan.points.size(); ++i) {
    if (!plan.points[i].is_weight) activation_point[plan.points[i].value] = i;
  }
  const std::set<std::string> quantized_ops(plan.quantized_nodes.begin(), plan.quantized_nodes.end());
  // The point whose quantizer a point uses (itself unless it shares one).
  auto owner = [&](size_t i) {
    while (!plan.points[i].shares_with.empty()) i = activation_point.at(plan.points[i].shares_with);
    return i;
  };
  auto matches = [&](const PlacementRule& rule, const graph::Node& node) {
    if (std::find(rule.ops.begin(), rule.ops.end(), node.op_type) == rule.ops.end()) return false;
    if (rule.match == PlacementMatch::quantized_op) return quantized_ops.count(node.name) != 0;
    bool any = false;
    for (const auto& in : node.inputs) {
      if (in.empty() || graph.has_initializer(in)) continue;
      if (!activation_point.count(in)) return false;
      any = true;
    }
    return any;
  };

  for (const auto& node : graph.nodes()) {
    if (!region.selects(node.name)) continue;
    for (const auto& rule : placement.rules) {
      if (!matches(rule, node)) continue;
      for (const auto& out : node.outputs) {
        if (out.empty()) continue;
        auto planned = activation_point.find(out);
        if (planned != activation_point.end()) {
          // A quantized op's input (a Split output read by a Conv) joins the input's grid too:
          // the target drops the pair only when every output shares it. Unless it has a grid
          // of its own already (fixed, shared, or shared by others).
          QuantPoint& p = plan.points[planned->second];
          const bool owns_others = std::any_of(plan.points.begin(), plan.points.end(),
                                               [&](const QuantPoint& q) { return q.shares_with == out; });
          if (rule.action == PlacementAction::share_input && p.shares_with.empty() && !p.fixed && !owns_others) {
            auto in = activation_point.find(node.inputs.at(0));
            share_grid(p, plan.points[owner(in->second)]);
          }
          continue;
        }
        // Read by no node (only as a graph output): nothing would read a pair.
        if (graph.consumers(out).empty()) continue;
        QuantPoint p;
        p.value = out;
        p.spec = activations;
        p.observer = observer;
        if (rule.action == PlacementAction::fixed_output) {
          p.spec = fixed_output_spec();
          p.fixed = rule.fixed;
        } else if (rule.action == PlacementAction::share_input) {
          auto in = activation_point.find(node.inputs.at(0));
          QAT_ASSERT(in != activation_point.end(), "rule '", rule.name, "' shares the quantizer of an unplanned input");
          share_grid(p, plan.points[owner(in->second)]);
        }
        activation_point[out] = plan.points.size();
        plan.points.push_back(std::move(p));
      }
      break;
    }
  }

  if (placement.every_reader) add_every_reader_edges(graph, plan);
}

}  // namespace qat::quant
