#include "qat/graph/weight_source.h"

#include <algorithm>

#include "qat/core/error.h"
#include "qat/graph/executor.h"
#include "qat/graph/op_traits.h"

namespace qat::graph {

std::optional<WeightSource> trace_weight(const Graph& graph, const std::string& value) {
  WeightSource source;
  std::string v = value;
  while (!graph.has_initializer(v)) {
    const Node* node = graph.producer(v);
    if (!node || node->inputs.empty() || node->inputs[0].empty()) return std::nullopt;
    const WeightView view = op_traits(node->op_type).weight_view;
    if (view == WeightView::none) return std::nullopt;
    for (size_t i = 1; i < node->inputs.size(); ++i) {
      const std::string& in = node->inputs[i];
      if (!in.empty() && (!graph.has_initializer(in) || graph.is_trainable(in))) return std::nullopt;
    }
    source.same_layout = source.same_layout && view == WeightView::same_layout;
    source.through.push_back(node->name);
    v = node->inputs[0];
  }
  std::reverse(source.through.begin(), source.through.end());
  source.initializer = v;
  source.shape = source.same_layout ? graph.initializer(v).sizes().vec() : weight_as_read(graph, source).sizes().vec();
  return source;
}

at::Tensor weight_as_read(const Graph& graph, const WeightSource& source) {
  if (source.through.empty()) return graph.initializer(source.initializer);
  // The chain alone, run by the Executor: the kernels the graph itself uses.
  Graph chain;
  for (const auto& name : source.through) {
    const Node* node = graph.find_node(name);
    QAT_ASSERT(node, "see-through node '", name, "' is not in the graph");
    for (const auto& in : node->inputs) {
      if (!in.empty() && graph.has_initializer(in)) chain.set_initializer(in, graph.initializer(in).detach());
    }
    chain.add_node(*node);
  }
  const std::string out = graph.find_node(source.through.back())->outputs.at(0);
  chain.add_output({out, {}});
  at::NoGradGuard no_grad;
  return Executor(chain).run({}).at(out);
}

bool read_only_by(const Graph& graph, const std::string& value,
                  const std::set<std::pair<std::string, size_t>>& edges) {
  for (const auto& out : graph.outputs()) {
    if (out.name == value) return false;
  }
  for (const Node* reader : graph.consumers(value)) {
    for (size_t i = 0; i < reader->inputs.size(); ++i) {
      if (reader->inputs[i] != value || edges.count({reader->name, i})) continue;
      if (i != 0 || op_traits(reader->op_type).weight_view == WeightView::none) return false;
      if (!read_only_by(graph, reader->outputs.at(0), edges)) return false;
    }
  }
  return true;
}

}  // namespace qat::graph
