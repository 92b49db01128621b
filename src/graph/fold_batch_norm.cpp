#include "qat/graph/fold_batch_norm.h"

#include <cmath>
#include <functional>
#include <set>

#include "qat/graph/op_traits.h"
#include "qat/graph/weight_source.h"

namespace qat::graph {
namespace {

using Edge = std::pair<std::string, size_t>;

// One BatchNormalization folding into the weight and bias of its producer.
struct Fold {
  std::string node, bn;
  std::string weight;                   // the weight's initializer (maybe behind Identity nodes)
  std::optional<std::string> bias;      // the bias's initializer, when the node has one
  size_t weight_input = 0, bias_input = 0;
  at::Tensor new_weight, new_bias;
};

std::string unique_initializer_name(const Graph& graph, std::string name) {
  while (graph.has_initializer(name)) name += "_";
  return name;
}

// Writes each fold's new tensor (weight or bias, by `field`). A tensor shared by several
// readers is written in place when every reader folds into the same values; otherwise
// each folded reader gets its own copy, read directly.
void write_folded(Graph& graph, std::vector<Fold>& folds, bool bias) {
  std::map<std::string, std::vector<Fold*>> by_source;
  for (auto& f : folds) {
    if (!bias) by_source[f.weight].push_back(&f);
    else if (f.bias) by_source[*f.bias].push_back(&f);
  }
  for (auto& [source, group] : by_source) {
    std::set<Edge> edges;
    bool equal = true;
    for (Fold* f : group) {
      edges.insert({f->node, bias ? f->bias_input : f->weight_input});
      const at::Tensor& mine = bias ? f->new_bias : f->new_weight;
      const at::Tensor& first = bias ? group.front()->new_bias : group.front()->new_weight;
      equal = equal && at::equal(mine, first);
    }
    if (equal && read_only_by(graph, source, edges)) {
      graph.set_initializer(source, bias ? group.front()->new_bias : group.front()->new_weight, true);
      continue;
    }
    for (Fold* f : group) {
      const size_t input = bias ? f->bias_input : f->weight_input;
      const std::string name = unique_initializer_name(graph, f->node + (bias ? ".bias" : ".weight"));
      graph.set_initializer(name, bias ? f->new_bias : f->new_weight, true);
      for (auto& n : graph.nodes()) {
        if (n.name == f->node) n.inputs[input] = name;
      }
    }
  }
  // A fold without a bias gets a new one.
  if (!bias) return;
  for (auto& f : folds) {
    if (f.bias) continue;
    const std::string name = unique_initializer_name(graph, f.node + ".bias");
    graph.set_initializer(name, f.new_bias, true);
    for (auto& n : graph.nodes()) {
      if (n.name != f.node) continue;
      if (n.inputs.size() <= f.bias_input) n.inputs.resize(f.bias_input + 1);
      n.inputs[f.bias_input] = name;
    }
  }
}

// Drops the see-through nodes that read `candidates` (transitively) and that nothing
// reads any more, then the candidate initializers no node reads.
void remove_unread(Graph& graph, std::set<std::string> candidates) {
  std::set<std::string> outputs;
  for (const auto& out : graph.outputs()) outputs.insert(out.name);
  std::set<std::string> derived = candidates;  // the candidates and see-through views of them
  for (const auto& n : graph.nodes()) {
    if (op_traits(n.op_type).weight_view != WeightView::none && derived.count(n.inputs.at(0))) {
      derived.insert(n.outputs.at(0));
    }
  }
  while (true) {
    std::vector<std::string> dead;
    for (const auto& n : graph.nodes()) {
      if (op_traits(n.op_type).weight_view == WeightView::none || !derived.count(n.inputs.at(0))) continue;
      if (!outputs.count(n.outputs.at(0)) && graph.consumers(n.outputs.at(0)).empty()) dead.push_back(n.name);
    }
    if (dead.empty()) break;
    for (const auto& name : dead) {
      const Node* n = graph.find_node(name);
      candidates.insert(n->inputs.begin(), n->inputs.end());
    }
    graph.remove_nodes(dead);
  }
  for (const auto& name : candidates) {
    if (graph.has_initializer(name) && graph.consumers(name).empty() && !outputs.count(name)) {
      graph.remove_initializer(name);
    }
  }
}

}  // namespace

int fold_batch_norm(Graph& graph) {
  at::NoGradGuard no_grad;
  std::vector<Fold> folds;
  std::map<std::string, std::string> renamed;  // BN output → producer output
  std::set<std::string> unused;                // initializers folding may leave unread
  for (const auto& bn : graph.nodes()) {
    if (!op_traits(bn.op_type).folds_into_producer) continue;
    const Node* node = graph.producer(bn.inputs[0]);
    if (!node || graph.consumers(node->outputs[0]).size() != 1) continue;
    const OpTraits& traits = op_traits(node->op_type);
    if (!traits.bn_foldable || !traits.weight_input || !traits.bias_input) continue;
    const size_t wi = *traits.weight_input, bi = *traits.bias_input;
    const auto weight = trace_weight(graph, node->inputs[wi]);
    if (!weight || !weight->same_layout) continue;
    const bool has_bias = node->inputs.size() > bi && !node->inputs[bi].empty();
    const auto bias = has_bias ? trace_weight(graph, node->inputs[bi]) : std::nullopt;
    if (has_bias && (!bias || !bias->same_layout)) continue;
    bool constant = true;
    for (size_t i = 1; i < 5; ++i) constant = constant && graph.has_initializer(bn.inputs[i]);
    if (!constant) continue;

    const at::Tensor gamma = graph.initializer(bn.inputs[1]);
    const at::Tensor beta = graph.initializer(bn.inputs[2]);
    const at::Tensor mean = graph.initializer(bn.inputs[3]);
    const at::Tensor var = graph.initializer(bn.inputs[4]);
    const double eps = bn.attrs.get_float("epsilon", 1e-5);
    const at::Tensor factor = gamma / at::sqrt(var + eps);
    const at::Tensor w = graph.initializer(weight->initializer);
    std::vector<int64_t> shape(w.dim(), 1);
    shape[static_cast<size_t>(traits.weight_axis(*node, w.dim()))] = -1;
    Fold f;
    f.node = node->name;
    f.bn = bn.name;
    f.weight = weight->initializer;
    f.weight_input = wi;
    f.bias_input = bi;
    f.new_weight = w * factor.reshape(shape);
    const at::Tensor b = bias ? graph.initializer(bias->initializer) : at::zeros_like(mean);
    if (bias) f.bias = bias->initializer;
    f.new_bias = (b - mean) * factor + beta;
    folds.push_back(std::move(f));
    renamed[bn.outputs[0]] = node->outputs[0];
    for (size_t i = 1; i < 5; ++i) unused.insert(bn.inputs[i]);
    unused.insert(weight->initializer);
    if (bias) unused.insert(bias->initializer);
  }
  // New tensors from the original ones (a weight several folds share is read before any write).
  write_folded(graph, folds, /*bias=*/false);
  write_folded(graph, folds, /*bias=*/true);

  // Rewire readers, drop the BN nodes and what nothing reads any more.
  for (auto& n : graph.nodes()) {
    for (auto& in : n.inputs) {
      auto it = renamed.find(in);
      if (it != renamed.end()) in = it->second;
    }
  }
  for (auto& out : graph.outputs()) {
    auto it = renamed.find(out.name);
    if (it != renamed.end()) out.name = it->second;
  }
  std::vector<std::string> folded_bns;
  for (const auto& f : folds) folded_bns.push_back(f.bn);
  graph.remove_nodes(folded_bns);
  remove_unread(graph, unused);
  return static_cast<int>(folds.size());
}

}  // namespace qat::graph
