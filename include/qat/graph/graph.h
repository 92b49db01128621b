// The one model representation of qat: a graph of nodes with ONNX op semantics.
//
// The architecture builder and the ONNX importer produce it, the Executor runs it
// with libtorch ops (autograd gives training), quantizers attach to its edges,
// and the exporter writes it back to ONNX. Every value has a unique name, so any
// intermediate can be tapped (distillation) and any node chosen by name pattern.
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <string>
#include <vector>

#include "qat/graph/attributes.h"

namespace qat::graph {

/// One operation. `inputs` and `outputs` are value names; "" marks an omitted
/// optional input, as in ONNX.
struct Node {
  std::string name;     ///< hierarchical, e.g. "backbone.3.conv"
  std::string op_type;  ///< ONNX op type, e.g. "Conv"
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  Attributes attrs;
};

/// A graph input or output: name, element type and shape (-1 = dynamic).
struct ValueInfo {
  std::string name;
  std::vector<int64_t> shape;
  at::ScalarType dtype = at::kFloat;
};

class Graph {
 public:
  void add_input(ValueInfo info) { inputs_.push_back(std::move(info)); }
  void add_output(ValueInfo info) { outputs_.push_back(std::move(info)); }
  const std::vector<ValueInfo>& inputs() const { return inputs_; }
  const std::vector<ValueInfo>& outputs() const { return outputs_; }
  std::vector<ValueInfo>& outputs() { return outputs_; }

  /// Appends a node; nodes must come in topological order (validate() checks).
  Node& add_node(Node node);
  const std::vector<Node>& nodes() const { return nodes_; }
  std::vector<Node>& nodes() { return nodes_; }
  /// The node called `name`, or nullptr.
  const Node* find_node(const std::string& name) const;
  /// The node whose outputs include `value`, or nullptr (inputs, initializers).
  const Node* producer(const std::string& value) const;
  /// Nodes that read `value`, in graph order.
  std::vector<const Node*> consumers(const std::string& value) const;
  /// Removes the nodes named in `names` (their outputs must be unused afterwards).
  void remove_nodes(const std::vector<std::string>& names);

  /// Adds or replaces a constant tensor. Trainable ones are parameters (requires_grad).
  void set_initializer(const std::string& name, at::Tensor value, bool trainable = false);
  void remove_initializer(const std::string& name);
  bool has_initializer(const std::string& name) const { return initializers_.count(name) != 0; }
  const at::Tensor& initializer(const std::string& name) const;
  const std::map<std::string, at::Tensor>& initializers() const { return initializers_; }
  bool is_trainable(const std::string& name) const;
  /// Trainable initializers by name (sorted), the optimizer's parameters.
  std::vector<std::pair<std::string, at::Tensor>> parameters() const;
  /// Non-trainable initializers that training updates (BatchNormalization statistics).
  std::vector<std::pair<std::string, at::Tensor>> buffers() const;
  /// Moves the floating-point initializers (weights, statistics, float constants) to
  /// `device`, trainable ones staying parameters. Integer initializers (shapes, axes,
  /// indices, which ops read on the host) stay on the CPU. A no-op where they already are.
  void to_device(at::Device device);

  /// Free-form key/value pairs carried to ONNX metadata_props.
  std::map<std::string, std::string>& metadata() { return metadata_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  /// Checks names are unique, every input is defined before use and outputs exist.
  /// Throws qat::Error naming the node.
  void validate() const;

 private:
  std::vector<ValueInfo> inputs_;
  std::vector<ValueInfo> outputs_;
  std::vector<Node> nodes_;
  std::map<std::string, at::Tensor> initializers_;
  std::map<std::string, bool> trainable_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace qat::graph
