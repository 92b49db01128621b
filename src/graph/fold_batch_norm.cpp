#include "qat/graph/fold_batch_norm.h"

#include <cmath>

namespace qat::graph {

int fold_batch_norm(Graph& graph) {
  at::NoGradGuard no_grad;
  std::vector<std::string> folded_bns;
  std::map<std::string, std::string> renamed;  // BN output → Conv output
  for (const auto& bn : graph.nodes()) {
    if (bn.op_type != "BatchNormalization") continue;
    const Node* conv = graph.producer(bn.inputs[0]);
    if (!conv || conv->op_type != "Conv" || graph.consumers(conv->outputs[0]).size() != 1) continue;
    bool constant = graph.has_initializer(conv->inputs[1]);
    for (size_t i = 1; i < 5; ++i) constant = constant && graph.has_initializer(bn.inputs[i]);
    if (!constant) continue;

    const at::Tensor gamma = graph.initializer(bn.inputs[1]);
    const at::Tensor beta = graph.initializer(bn.inputs[2]);
    const at::Tensor mean = graph.initializer(bn.inputs[3]);
    const at::Tensor var = graph.initializer(bn.inputs[4]);
    const double eps = bn.attrs.get_float("epsilon", 1e-5);
    const at::Tensor factor = gamma / at::sqrt(var + eps);
    const at::Tensor weight = graph.initializer(conv->inputs[1]);
    std::vector<int64_t> shape(weight.dim(), 1);
    shape[0] = -1;
    const at::Tensor new_weight = weight * factor.reshape(shape);
    const bool has_bias = conv->inputs.size() > 2 && !conv->inputs[2].empty();
    const at::Tensor bias = has_bias ? graph.initializer(conv->inputs[2]) : at::zeros_like(mean);
    const at::Tensor new_bias = (bias - mean) * factor + beta;

    const std::string weight_name = conv->inputs[1];
    const std::string bias_name = has_bias ? conv->inputs[2] : conv->name + ".bias";
    graph.set_initializer(weight_name, new_weight, true);
    graph.set_initializer(bias_name, new_bias, true);
    for (auto& n : graph.nodes()) {
      if (n.name == conv->name) {
        n.inputs.resize(3);
        n.inputs[2] = bias_name;
      }
    }
    renamed[bn.outputs[0]] = conv->outputs[0];
    folded_bns.push_back(bn.name);
  }
  // Rewire readers, drop the BN nodes and their now unused parameters.
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
  std::vector<std::string> unused;
  for (const auto& name : folded_bns) {
    const Node* bn = graph.find_node(name);
    for (size_t i = 1; i < 5; ++i) unused.push_back(bn->inputs[i]);
  }
  graph.remove_nodes(folded_bns);
  for (const auto& name : unused) {
    if (graph.consumers(name).empty()) graph.remove_initializer(name);
  }
  return static_cast<int>(folded_bns.size());
}

}  // namespace qat::graph
