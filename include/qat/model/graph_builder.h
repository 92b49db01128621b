// Appends named Conv-BN-activation blocks and plain ops to a Graph, creating
// initialized parameters as it goes. Used by the architecture builder; every
// node and value is named "<prefix>.<part>" so regions can be chosen by pattern.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "qat/graph/graph.h"

namespace qat::model {

class GraphBuilder {
 public:
  /// `activation`: "silu" (Sigmoid * x, as ONNX has no SiLU before opset 22) or "relu".
  GraphBuilder(graph::Graph& graph, std::string activation);

  /// Conv(k, stride, pad k/2, no bias) → BatchNormalization → activation.
  /// Nodes "<name>.conv", "<name>.bn", "<name>.act"; returns the output value name.
  std::string conv_bn_act(const std::string& name, const std::string& input, int64_t out_channels,
                          int64_t kernel, int64_t stride);
  /// Plain Conv with bias (prediction layers); `bias_init` fills the bias.
  std::string conv(const std::string& name, const std::string& input, int64_t out_channels,
                   int64_t kernel, double bias_init);

  /// Generic node with one output named like the node.
  std::string op(const std::string& name, const std::string& op_type,
                 const std::vector<std::string>& inputs, graph::Attributes attrs = {});
  /// A constant initializer named `name`.
  std::string constant(const std::string& name, const at::Tensor& value);

  /// Channels of a value produced by this builder (tracked for convs and concats).
  int64_t channels(const std::string& value) const;
  void set_channels(const std::string& value, int64_t channels);

  graph::Graph& graph() { return graph_; }

 private:
  graph::Graph& graph_;
  std::string activation_;
  std::map<std::string, int64_t> channels_;
};

}  // namespace qat::model
