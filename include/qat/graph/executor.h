// Runs a Graph with libtorch ops. Kernels and value slots are resolved once at
// construction; run() only moves tensors. Gradients flow through the graph's
// trainable initializers because kernels are plain ATen calls under autograd.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "qat/graph/graph.h"
#include "qat/graph/op_registry.h"

namespace qat::graph {

using ValueMap = std::map<std::string, at::Tensor>;
/// Rewrites a tensor on its way into a node (fake quantization, for one).
using EdgeTransform = std::function<at::Tensor(const at::Tensor&)>;

class Executor {
 public:
  /// `graph` must outlive the executor and keep its structure; rebuild the
  /// executor after changing nodes (values of initializers may change freely).
  explicit Executor(const Graph& graph);

  /// Computes the graph outputs plus every value named in `taps` from `inputs`
  /// (keyed by graph input name). Throws qat::Error naming a missing input or tap.
  ValueMap run(const ValueMap& inputs, const std::vector<std::string>& taps = {}) const;

  void set_training(bool training) { context_.training = training; }
  bool training() const { return context_.training; }

  /// Applies `transform` to input `input_index` of node `node` on every run
  /// (replacing an earlier transform on that edge). Throws for an unknown node/edge.
  /// `of_silu`, when given, is the same rewrite of silu(x) computed from x
  /// (of_silu(x) == transform(at::silu(x))) in one kernel: when the input is a SiLU's
  /// output and every reader of that output has one, and no tap or graph output names
  /// it, run() leaves the SiLU to its readers' of_silu (quant/silu_fake_quant.h).
  void set_edge_transform(const std::string& node, size_t input_index, EdgeTransform transform,
                          EdgeTransform of_silu = nullptr);

 private:
  struct SiluSlots {
    int x, sigmoid;
    std::vector<std::pair<size_t, size_t>> readers;  // (step, input) edges reading the product
    bool is_graph_output = false;
  };
  struct Step {
    const Node* node;
    Kernel kernel;
    std::vector<int> inputs;   // slot per input, -1 for omitted
    std::vector<int> outputs;  // slot per output
    std::vector<EdgeTransform> transforms;  // per input, may be empty
    std::vector<EdgeTransform> silu_transforms;  // per input: transforms[i] of silu(x), given x; may be empty
    // SiLU written as Mul(x, Sigmoid(x)): the Sigmoid step names its Mul, the Mul
    // the slots of x and of the sigmoid, so run() can compute at::silu(x) once (half
    // the memory traffic) when nothing else needs the sigmoid value.
    std::optional<size_t> silu_mul_step = std::nullopt;  // on the Sigmoid of a SiLU
    std::optional<SiluSlots> silu = std::nullopt;        // on the Mul of a SiLU
  };

  /// Marks the Sigmoid/Mul pairs that form a SiLU (see Step).
  void find_silu_pairs();
  /// Whether the Sigmoid step `i` may be left to its Mul on this run.
  bool fuse_silu(size_t i, const std::vector<bool>& tapped) const;
  /// Whether the SiLU that `mul` computes may be left to its readers' of_silu transforms.
  bool silu_left_to_readers(const Step& mul, const std::vector<bool>& tapped) const;

  const Graph& graph_;
  KernelContext context_;
  std::map<std::string, int> slot_of_;
  std::vector<std::pair<int, const at::Tensor*>> initializer_slots_;
  std::vector<std::pair<std::string, int>> input_slots_;
  std::vector<Step> steps_;
  int num_slots_ = 0;
};

}  // namespace qat::graph
