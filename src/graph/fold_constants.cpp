#include "qat/graph/fold_constants.h"

#include <set>

#include "qat/core/error.h"
#include "qat/graph/executor.h"
#include "qat/graph/op_traits.h"

namespace qat::graph {
namespace {

bool is_constant(const Graph& graph, const std::string& value) {
  return graph.has_initializer(value) && !graph.is_trainable(value);
}

// The complete static shape of `value`, or nullptr.
const std::vector<int64_t>* known_shape(const StaticShapes& shapes, const std::string& value) {
  auto it = shapes.find(value);
  if (it == shapes.end()) return nullptr;
  for (int64_t d : it->second) {
    if (d < 0) return nullptr;
  }
  return &it->second;
}

}  // namespace

int fold_constants(Graph& graph, const StaticShapes& shapes, const std::map<std::string, at::Tensor>& known) {
  const auto& registry = op_registry();
  std::vector<std::string> folded;
  std::set<std::string> read_by_folded;
  for (const Node& node : graph.nodes()) {
    if (!registry.contains(node.op_type)) continue;
    bool all_known = !node.outputs.empty();
    for (const auto& out : node.outputs) all_known = all_known && known.count(out) != 0;
    if (all_known) {
      for (const auto& out : node.outputs) graph.set_initializer(out, known.at(out), /*trainable=*/false);
      for (const auto& in : node.inputs) read_by_folded.insert(in);
      folded.push_back(node.name);
      continue;
    }
    // Shape needs only its input's shape: a meta tensor carries it without data.
    const std::vector<int64_t>* static_shape =
        op_traits(node.op_type).reads_shape_only && node.inputs.size() == 1 && !is_constant(graph, node.inputs[0])
            ? known_shape(shapes, node.inputs[0])
            : nullptr;
    bool constant = true;
    for (const auto& in : node.inputs) constant = constant && (in.empty() || is_constant(graph, in));
    if (!constant && !static_shape) continue;

    // Run the node alone through the Executor: the same kernel the graph would use.
    Graph one;
    for (const auto& in : node.inputs) {
      if (in.empty()) continue;
      one.set_initializer(in, static_shape ? at::empty(*static_shape, at::TensorOptions().device(at::kMeta))
                                           : graph.initializer(in));
    }
    one.add_node(node);
    for (const auto& out : node.outputs) one.add_output({out, {}});
    ValueMap values;
    try {
      values = Executor(one).run({});
    } catch (Error& e) {
      throw e.add_context("folding constant node '" + node.name + "' (" + node.op_type + ")");
    }
    for (const auto& out : node.outputs) graph.set_initializer(out, values.at(out), /*trainable=*/false);
    for (const auto& in : node.inputs) read_by_folded.insert(in);
    folded.push_back(node.name);
  }
  // Nodes whose outputs nothing reads any more (a Shape whose Slice folded) go too.
  std::set<std::string> used;
  for (const auto& out : graph.outputs()) used.insert(out.name);
  const std::set<std::string> doomed(folded.begin(), folded.end());
  for (auto it = graph.nodes().rbegin(); it != graph.nodes().rend(); ++it) {
    if (doomed.count(it->name)) continue;
    bool live = false;
    for (const auto& out : it->outputs) live = live || used.count(out) != 0;
    if (!live) {
      folded.push_back(it->name);
      for (const auto& in : it->inputs) read_by_folded.insert(in);
      continue;
    }
    used.insert(it->inputs.begin(), it->inputs.end());
  }
  graph.remove_nodes(folded);
  for (const auto& name : read_by_folded) {
    if (!used.count(name) && graph.has_initializer(name)) graph.remove_initializer(name);
  }
  return static_cast<int>(folded.size());
}

}  // namespace qat::graph
