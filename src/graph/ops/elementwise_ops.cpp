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
  // Integer Div truncates (shape arithmetic in torch exports: `h // 2`); at::div would promote to float.
  return [](const Inputs& in, const KernelContext&) {
    if (at::isIntegralType(in[0].scalar_type(), true) && at::isIntegralType(in[1].scalar_type(), true)) {
      return Inputs{at::div(in[0], in[1], "trunc")};
    }
    return Inputs{in[0] / in[1]};
  };
}
Kernel make_pow(const Node&, const Graph&) {
  // The result has the base's type, whatever the exponent's.
  return [](const Inputs& in, const KernelContext&) { return Inputs{at::pow(in[0], in[1]).to(in[0].scalar_type())}; };
}
Kernel make_min(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) {
    at::Tensor y = in[0];
    for (size_t i = 1; i < in.size(); ++i) y = at::minimum(y, in[i]);
    return Inputs{y};
  };
}
Kernel make_max(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) {
    at::Tensor y = in[0];
    for (size_t i = 1; i < in.size(); ++i) y = at::maximum(y, in[i]);
    return Inputs{y};
  };
}
Kernel make_equal(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{at::eq(in[0], in[1])}; };
}
Kernel make_where(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{at::where(in[0], in[1], in[2])}; };
}
Kernel make_neg(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{at::neg(in[0])}; };
}
Kernel make_abs(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{at::abs(in[0])}; };
}
Kernel make_sqrt(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{at::sqrt(in[0])}; };
}
Kernel make_reciprocal(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{at::reciprocal(in[0])}; };
}
Kernel make_log(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{at::log(in[0])}; };
}
Kernel make_floor(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{at::floor(in[0])}; };
}
Kernel make_ceil(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{at::ceil(in[0])}; };
}
Kernel make_erf(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{at::erf(in[0])}; };
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
Kernel make_hard_sigmoid(const Node& node, const Graph&) {
  const double alpha = node.attrs.get_float("alpha", 0.2);
  const double beta = node.attrs.get_float("beta", 0.5);
  return [alpha, beta](const Inputs& in, const KernelContext&) {
    return Inputs{at::clamp_max(at::clamp_min(in[0] * alpha + beta, 0.0), 1.0)};
  };
}
Kernel make_hard_swish(const Node&, const Graph&) {
  // ONNX: x * max(0, min(1, x / 6 + 0.5)), which is torch's hardswish.
  return [](const Inputs& in, const KernelContext&) { return Inputs{at::hardswish(in[0])}; };
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
Kernel make_log_softmax(const Node& node, const Graph&) {
  const int64_t axis = node.attrs.get_int("axis", -1);
  return [axis](const Inputs& in, const KernelContext&) { return Inputs{at::log_softmax(in[0], axis)}; };
}
Kernel make_hardmax(const Node& node, const Graph&) {
  // One-hot of the first maximum along `axis` (at::argmax returns the first).
  const int64_t axis = node.attrs.get_int("axis", -1);
  return [axis](const Inputs& in, const KernelContext&) {
    const at::Tensor index = at::argmax(in[0], axis, /*keepdim=*/true);
    return Inputs{at::zeros_like(in[0]).scatter_(axis, index, 1)};
  };
}
Kernel make_clip(const Node& node, const Graph& graph) {
  // Opset >= 11: min and max are optional constant inputs.
  c10::optional<at::Scalar> lo, hi;
  if (node.inputs.size() > 1 && !node.inputs[1].empty()) lo = constant_floats(node, graph, 1).at(0);
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) hi = constant_floats(node, graph, 2).at(0);
  return [lo, hi](const Inputs& in, const KernelContext&) { return Inputs{at::clamp(in[0], lo, hi)}; };
}

}  // namespace qat::graph::ops
