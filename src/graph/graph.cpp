#include "qat/graph/graph.h"

#include <algorithm>
#include <set>

#include "qat/core/error.h"
#include "qat/graph/op_traits.h"

namespace qat::graph {

Node& Graph::add_node(Node node) {
  nodes_.push_back(std::move(node));
  return nodes_.back();
}

const Node* Graph::find_node(const std::string& name) const {
  for (const auto& n : nodes_) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

const Node* Graph::producer(const std::string& value) const {
  for (const auto& n : nodes_) {
    if (std::find(n.outputs.begin(), n.outputs.end(), value) != n.outputs.end()) return &n;
  }
  return nullptr;
}

std::vector<const Node*> Graph::consumers(const std::string& value) const {
  std::vector<const Node*> out;
  for (const auto& n : nodes_) {
    if (std::find(n.inputs.begin(), n.inputs.end(), value) != n.inputs.end()) out.push_back(&n);
  }
  return out;
}

void Graph::remove_nodes(const std::vector<std::string>& names) {
  const std::set<std::string> doomed(names.begin(), names.end());
  nodes_.erase(std::remove_if(nodes_.begin(), nodes_.end(),
                              [&](const Node& n) { return doomed.count(n.name) != 0; }),
               nodes_.end());
}

void Graph::set_initializer(const std::string& name, at::Tensor value, bool trainable) {
  value = value.detach();
  if (trainable) value.set_requires_grad(true);
  initializers_[name] = value;
  trainable_[name] = trainable;
}

void Graph::to_device(at::Device device) {
  for (auto& [name, t] : initializers_) {
    if (!t.is_floating_point() || t.device() == device) continue;
    t = t.detach().to(device);
    if (is_trainable(name)) t.set_requires_grad(true);
  }
}

void Graph::remove_initializer(const std::string& name) {
  initializers_.erase(name);
  trainable_.erase(name);
}

const at::Tensor& Graph::initializer(const std::string& name) const {
  auto it = initializers_.find(name);
  QAT_ASSERT(it != initializers_.end(), "no initializer '", name, "'");
  return it->second;
}

bool Graph::is_trainable(const std::string& name) const {
  auto it = trainable_.find(name);
  return it != trainable_.end() && it->second;
}

std::vector<std::pair<std::string, at::Tensor>> Graph::parameters() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& [name, t] : initializers_) {
    if (is_trainable(name)) out.emplace_back(name, t);
  }
  return out;
}

std::vector<std::pair<std::string, at::Tensor>> Graph::buffers() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& n : nodes_) {
    for (const size_t i : op_traits(n.op_type).updated_inputs) {
      if (i >= n.inputs.size()) continue;
      if (has_initializer(n.inputs[i]) && !is_trainable(n.inputs[i])) {
        out.emplace_back(n.inputs[i], initializer(n.inputs[i]));
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

void Graph::validate() const {
  std::set<std::string> defined;
  for (const auto& in : inputs_) {
    if (!defined.insert(in.name).second) throw Error("graph input '" + in.name + "' is defined twice");
  }
  for (const auto& [name, t] : initializers_) defined.insert(name);
  std::set<std::string> node_names;
  for (const auto& n : nodes_) {
    if (n.name.empty()) throw Error("a " + n.op_type + " node has no name");
    if (!node_names.insert(n.name).second) throw Error("node name '" + n.name + "' is used twice");
    for (const auto& in : n.inputs) {
      if (!in.empty() && !defined.count(in)) {
        throw Error("node '" + n.name + "' (" + n.op_type + ") reads '" + in +
                    "', which no earlier node, input or initializer defines");
      }
    }
    for (const auto& out : n.outputs) {
      if (!defined.insert(out).second) {
        throw Error("node '" + n.name + "' (" + n.op_type + ") redefines value '" + out + "'");
      }
    }
  }
  for (const auto& out : outputs_) {
    if (!defined.count(out.name)) throw Error("graph output '" + out.name + "' is never computed");
  }
}

}  // namespace qat::graph
