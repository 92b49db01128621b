// Elementwise ops: NumPy-style broadcasting, as ONNX specifies.
#include "factories.h"

namespace qat::graph::ops {

using Inputs = std::vector<at::Tensor>;

Kernel make_add(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{in[0] + in[1]}; };
}
Kernel make_sub(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{in[0] - in[1]}; };
}
Kernel make_mul(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{in[0] * in[1]}; };
}
Kernel make_div(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{in[0] / in[1]}; };
}
Kernel make_relu(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{at::relu(in[0])}; };
}
Kernel make_leaky_relu(const Node& node, const Graph&) {
  const double alpha = node.attrs.get_float("alpha", 0.01);
  return [alpha](const Inputs& in, const KernelContext&) { return Inputs{at::leaky_relu(in[0], alpha)}; };
}
Kernel make_sigmoid(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{at::sigmoid(in[0])}; };
}
Kernel make_tanh(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{at::tanh(in[0])}; };
}
Kernel make_exp(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{at::exp(in[0])}; };
}
Kernel make_identity(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{in[0]}; };
}
Kernel make_softmax(const Node& node, const Graph&) {
  const int64_t axis = node.attrs.get_int("axis", -1);
  return [axis](const Inputs& in, const KernelContext&) { return Inputs{at::softmax(in[0], axis)}; };
}
Kernel make_clip(const Node& node, const Graph& graph) {
  // Opset >= 11: min and max are optional constant inputs.
  c10::optional<at::Scalar> lo, hi;
  if (node.inputs.size() > 1 && !node.inputs[1].empty()) lo = constant_floats(node, graph, 1).at(0);
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) hi = constant_floats(node, graph, 2).at(0);
  return [lo, hi](const Inputs& in, const KernelContext&) { return Inputs{at::clamp(in[0], lo, hi)}; };
}

}  // namespace qat::graph::ops
