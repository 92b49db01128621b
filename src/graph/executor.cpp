#include "qat/graph/executor.h"

#include "qat/core/error.h"

namespace qat::graph {

Executor::Executor(const Graph& graph) : graph_(graph) {
  graph.validate();
  auto slot = [&](const std::string& name) {
    auto it = slot_of_.find(name);
    if (it != slot_of_.end()) return it->second;
    slot_of_[name] = num_slots_;
    return num_slots_++;
  };
  for (const auto& [name, tensor] : graph.initializers()) {
    initializer_slots_.emplace_back(slot(name), &tensor);
  }
  for (const auto& in : graph.inputs()) {
    if (!graph.has_initializer(in.name)) input_slots_.emplace_back(in.name, slot(in.name));
  }
  const auto& registry = op_registry();
  for (const auto& node : graph.nodes()) {
    const OpSpec* spec = nullptr;
    try {
      spec = &registry.get(node.op_type);
    } catch (Error& e) {
      throw e.add_context("building node '" + node.name + "'");
    }
    const int n_in = static_cast<int>(node.inputs.size());
    if (n_in < spec->min_inputs || n_in > spec->max_inputs) {
      throw Error("node '" + node.name + "' (" + node.op_type + ") has " + std::to_string(n_in) +
                  " inputs; expected " + std::to_string(spec->min_inputs) + " to " +
                  std::to_string(spec->max_inputs));
    }
    Step step{&node, {}, {}, {}, std::vector<EdgeTransform>(node.inputs.size())};
    try {
      step.kernel = spec->make(node, graph);
    } catch (Error& e) {
      throw e.add_context("building node '" + node.name + "' (" + node.op_type + ")");
    }
    for (const auto& in : node.inputs) step.inputs.push_back(in.empty() ? -1 : slot(in));
    for (const auto& out : node.outputs) step.outputs.push_back(slot(out));
    steps_.push_back(std::move(step));
  }
}

void Executor::set_edge_transform(const std::string& node, size_t input_index,
                                  EdgeTransform transform) {
  for (auto& step : steps_) {
    if (step.node->name != node) continue;
    QAT_CHECK(input_index < step.transforms.size(), "node '", node, "' has no input ", input_index);
    step.transforms[input_index] = std::move(transform);
    return;
  }
  throw Error("no node '" + node + "' to attach a transform to");
}

void Executor::clear_edge_transforms() {
  for (auto& step : steps_) {
    for (auto& t : step.transforms) t = nullptr;
  }
}

ValueMap Executor::run(const ValueMap& inputs, const std::vector<std::string>& taps) const {
  std::vector<at::Tensor> slots(num_slots_);
  for (const auto& [slot, tensor] : initializer_slots_) slots[slot] = *tensor;
  for (const auto& [name, slot] : input_slots_) {
    auto it = inputs.find(name);
    if (it == inputs.end()) throw Error("graph input '" + name + "' was not given");
    slots[slot] = it->second;
  }
  std::vector<at::Tensor> args;
  for (const auto& step : steps_) {
    args.clear();
    for (size_t i = 0; i < step.inputs.size(); ++i) {
      const int s = step.inputs[i];
      args.push_back(s < 0 ? at::Tensor() : (step.transforms[i] ? step.transforms[i](slots[s]) : slots[s]));
    }
    std::vector<at::Tensor> results;
    try {
      results = step.kernel(args, context_);
    } catch (const c10::Error& e) {
      throw ShapeError("node '" + step.node->name + "' (" + step.node->op_type +
                       ") failed: " + e.what_without_backtrace());
    }
    QAT_ASSERT(results.size() >= step.outputs.size(), "kernel of ", step.node->op_type,
               " returned too few outputs");
    for (size_t i = 0; i < step.outputs.size(); ++i) slots[step.outputs[i]] = std::move(results[i]);
  }
  ValueMap out;
  auto take = [&](const std::string& name) {
    auto it = slot_of_.find(name);
    if (it == slot_of_.end()) throw Error("no value named '" + name + "' in the graph");
    out[name] = slots[it->second];
  };
  for (const auto& o : graph_.outputs()) take(o.name);
  for (const auto& t : taps) take(t);
  return out;
}

}  // namespace qat::graph
