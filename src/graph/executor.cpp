#include "qat/graph/executor.h"

#include "qat/core/error.h"
#include "qat/graph/op_traits.h"

namespace qat::graph {

namespace {

// Dimension 0 of graph input `name` as declared, -1 when dynamic or absent.
int64_t declared_batch(const Graph& graph, const std::string& name) {
  for (const auto& in : graph.inputs()) {
    if (in.name == name) return in.shape.empty() ? -1 : in.shape[0];
  }
  return -1;
}

}  // namespace

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
    Step step{&node, {}, {}, {}, std::vector<EdgeTransform>(node.inputs.size()),
              std::vector<EdgeTransform>(node.inputs.size())};
    try {
      step.kernel = spec->make(node, graph);
    } catch (Error& e) {
      throw e.add_context("building node '" + node.name + "' (" + node.op_type + ")");
    }
    for (const auto& in : node.inputs) step.inputs.push_back(in.empty() ? -1 : slot(in));
    for (const auto& out : node.outputs) step.outputs.push_back(slot(out));
    steps_.push_back(std::move(step));
  }
  find_silu_pairs();
}

void Executor::find_silu_pairs() {
  // Per slot: the step writing it, the (step, input) edges reading it, whether it is an output.
  std::vector<std::optional<size_t>> producer(static_cast<size_t>(num_slots_));
  std::vector<std::vector<std::pair<size_t, size_t>>> readers(static_cast<size_t>(num_slots_));
  std::vector<bool> is_output(static_cast<size_t>(num_slots_), false);
  for (size_t k = 0; k < steps_.size(); ++k) {
    for (size_t i = 0; i < steps_[k].inputs.size(); ++i) {
      if (steps_[k].inputs[i] >= 0) readers[static_cast<size_t>(steps_[k].inputs[i])].emplace_back(k, i);
    }
    for (const int s : steps_[k].outputs) producer[static_cast<size_t>(s)] = k;
  }
  for (const auto& out : graph_.outputs()) is_output[static_cast<size_t>(slot_of_.at(out.name))] = true;
  for (size_t j = 0; j < steps_.size(); ++j) {
    Step& mul = steps_[j];
    if (op_traits(mul.node->op_type).silu != SiluRole::product) continue;
    for (int k = 0; k < 2; ++k) {
      const int sig_slot = mul.inputs[static_cast<size_t>(k)], x_slot = mul.inputs[static_cast<size_t>(1 - k)];
      if (sig_slot < 0) continue;  // an omitted input
      const auto sig_index = static_cast<size_t>(sig_slot);
      const std::optional<size_t> i = producer[sig_index];
      if (!i || op_traits(steps_[*i].node->op_type).silu != SiluRole::sigmoid) continue;
      Step& sig = steps_[*i];
      // The Mul must be the sigmoid's only reader.
      if (sig.inputs[0] != x_slot || readers[sig_index].size() != 1 || is_output[sig_index]) continue;
      sig.silu_mul_step = j;
      const auto product = static_cast<size_t>(mul.outputs[0]);
      mul.silu = SiluSlots{x_slot, sig_slot, readers[product], is_output[product]};
      break;
    }
  }
}

bool Executor::fuse_silu(size_t i, const std::vector<bool>& tapped) const {
  const Step& sig = steps_[i];
  if (!sig.silu_mul_step || tapped[static_cast<size_t>(sig.outputs[0])]) return false;
  const auto has_transform = [](const Step& s) {
    for (const auto& t : s.transforms) {
      if (t) return true;
    }
    return false;
  };
  return !has_transform(sig) && !has_transform(steps_[*sig.silu_mul_step]);
}

bool Executor::silu_left_to_readers(const Step& mul, const std::vector<bool>& tapped) const {
  const SiluSlots& silu = *mul.silu;
  if (silu.is_graph_output || silu.readers.empty() || tapped[static_cast<size_t>(mul.outputs[0])]) return false;
  for (const auto& [step, input] : silu.readers) {
    if (!steps_[step].silu_transforms[input]) return false;
  }
  return true;
}

void Executor::set_edge_transform(const std::string& node, size_t input_index, EdgeTransform transform,
                                  EdgeTransform of_silu) {
  for (auto& step : steps_) {
    if (step.node->name != node) continue;
    QAT_CHECK(input_index < step.transforms.size(), "node '", node, "' has no input ", input_index);
    step.transforms[input_index] = std::move(transform);
    step.silu_transforms[input_index] = std::move(of_silu);
    return;
  }
  throw Error("no node '" + node + "' to attach a transform to");
}

ValueMap Executor::run(const ValueMap& inputs, const std::vector<std::string>& taps) const {
  std::vector<at::Tensor> slots(num_slots_);
  for (const auto& [slot, tensor] : initializer_slots_) slots[slot] = *tensor;
  for (size_t i = 0; i < input_slots_.size(); ++i) {
    const auto& [name, slot] = input_slots_[i];
    auto it = inputs.find(name);
    if (it == inputs.end()) throw Error("graph input '" + name + "' was not given");
    // A static-batch graph at another batch would fail deep inside a kernel (a Reshape's baked shape).
    const int64_t batch = declared_batch(graph_, name);
    if (batch >= 0 && it->second.dim() > 0 && it->second.size(0) != batch) {
      throw ShapeError("graph input '" + name + "' has batch " + std::to_string(it->second.size(0)) +
                       "; the graph runs at batch " + std::to_string(batch) +
                       " only (import it with graph::ImportOptions::batch)");
    }
    slots[slot] = it->second;
  }
  std::vector<bool> tapped(static_cast<size_t>(num_slots_), false);
  for (const auto& t : taps) {
    auto it = slot_of_.find(t);
    if (it != slot_of_.end()) tapped[static_cast<size_t>(it->second)] = true;
  }
  // silu_x[s]: the slot of x when slot s holds a SiLU left to its readers (else -1).
  std::vector<int> silu_x(static_cast<size_t>(num_slots_), -1);
  std::vector<at::Tensor> args;
  for (size_t n = 0; n < steps_.size(); ++n) {
    const Step& step = steps_[n];
    if (fuse_silu(n, tapped)) continue;  // its Mul computes silu(x); the sigmoid slot stays empty
    if (step.silu && !slots[static_cast<size_t>(step.silu->sigmoid)].defined()) {
      if (silu_left_to_readers(step, tapped)) {
        silu_x[static_cast<size_t>(step.outputs[0])] = step.silu->x;
      } else {
        slots[static_cast<size_t>(step.outputs[0])] = at::silu(slots[static_cast<size_t>(step.silu->x)]);
      }
      continue;
    }
    args.clear();
    for (size_t i = 0; i < step.inputs.size(); ++i) {
      const int s = step.inputs[i];
      if (s >= 0 && silu_x[static_cast<size_t>(s)] >= 0) {
        args.push_back(step.silu_transforms[i](slots[static_cast<size_t>(silu_x[static_cast<size_t>(s)])]));
        continue;
      }
      args.push_back(s < 0 ? at::Tensor() : (step.transforms[i] ? step.transforms[i](slots[s]) : slots[s]));
    }
    std::vector<at::Tensor> results;
    try {
      results = step.kernel(args, context_);
    } catch (const c10::Error& e) {
      throw ShapeError("node '" + step.node->name + "' (" + step.node->op_type +
                       ") failed: " + e.what_without_backtrace());
    } catch (const std::runtime_error& e) {
      // Some of ATen's checks throw a plain runtime_error (Reshape's "shape ... is
      // invalid for input of size ..."): the model's fault all the same.
      throw ShapeError("node '" + step.node->name + "' (" + step.node->op_type + ") failed: " + e.what());
    }
    if (results.size() < step.outputs.size()) {
      throw ShapeError("node '" + step.node->name + "' (" + step.node->op_type + ") names " +
                       std::to_string(step.outputs.size()) + " outputs; it gives " + std::to_string(results.size()));
    }
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
