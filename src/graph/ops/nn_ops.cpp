// Convolution, normalization, dense and pooling ops.
#include "factories.h"

namespace qat::graph::ops {

using Inputs = std::vector<at::Tensor>;

namespace {

// ONNX pads are [x1_begin, x2_begin, ..., x1_end, x2_end]; torch pads symmetric.
// Returns symmetric pads, or empty when begin != end (caller pads explicitly).
std::vector<int64_t> symmetric_pads(const std::vector<int64_t>& pads) {
  const size_t n = pads.size() / 2;
  std::vector<int64_t> out(pads.begin(), pads.begin() + n);
  for (size_t i = 0; i < n; ++i) {
    if (pads[i] != pads[i + n]) return {};
  }
  return out;
}

// at::constant_pad_nd takes the last dimension first: [w_begin, w_end, h_begin, h_end].
std::vector<int64_t> torch_pad_order(const std::vector<int64_t>& pads) {
  const size_t n = pads.size() / 2;
  std::vector<int64_t> out;
  for (size_t i = n; i-- > 0;) {
    out.push_back(pads[i]);
    out.push_back(pads[i + n]);
  }
  return out;
}

void check_auto_pad(const Node& node) {
  const std::string auto_pad = node.attrs.get_string("auto_pad", "NOTSET");
  QAT_CHECK(auto_pad == "NOTSET" || auto_pad == "VALID", "node '", node.name, "' (", node.op_type,
            "): auto_pad ", auto_pad, " is not supported; give explicit pads");
}

}  // namespace

Kernel make_conv(const Node& node, const Graph&) {
  check_auto_pad(node);
  const int64_t group = node.attrs.get_int("group", 1);
  QAT_CHECK(group >= 1, "node '", node.name, "' (Conv): group ", group, " is not positive");
  const auto strides = node.attrs.get_ints("strides", {1, 1});
  const auto dilations = node.attrs.get_ints("dilations", {1, 1});
  const auto pads = node.attrs.get_ints("pads", std::vector<int64_t>(2 * strides.size(), 0));
  const auto sym = symmetric_pads(pads);
  const auto explicit_pad = sym.empty() ? torch_pad_order(pads) : std::vector<int64_t>{};
  const std::vector<int64_t> conv_pad = sym.empty() ? std::vector<int64_t>(strides.size(), 0) : sym;
  const std::string name = node.name;
  return [=](const Inputs& in, const KernelContext&) {
    // ATen divides by the channels per group before it checks them (SIGFPE at 0).
    const at::Tensor& w = in[1];
    QAT_CHECK(in[0].dim() >= 2 && w.dim() >= 2 && w.size(0) % group == 0 && in[0].size(1) == w.size(1) * group,
              "node '", name, "' (Conv): input ", in[0].sizes(), " and weight ", w.sizes(), " do not match group ",
              group);
    const at::Tensor x = explicit_pad.empty() ? in[0] : at::constant_pad_nd(in[0], explicit_pad, 0);
    const at::Tensor bias = in.size() > 2 ? in[2] : at::Tensor();
    return Inputs{at::convolution(x, in[1], bias, strides, conv_pad, dilations, false,
                                  std::vector<int64_t>(strides.size(), 0), group)};
  };
}

Kernel make_batch_normalization(const Node& node, const Graph&) {
  const double eps = node.attrs.get_float("epsilon", 1e-5);
  // ONNX: running = running * momentum + batch * (1 - momentum); torch's momentum is the complement.
  const double momentum = 1.0 - node.attrs.get_float("momentum", 0.9);
  return [eps, momentum](const Inputs& in, const KernelContext& ctx) {
    return Inputs{at::batch_norm(in[0], in[1], in[2], in[3], in[4], ctx.training, momentum, eps, false)};
  };
}

Kernel make_instance_normalization(const Node& node, const Graph&) {
  // Per sample and channel over the remaining dims; torch exports GroupNorm as
  // Reshape [N, G, -1] -> InstanceNormalization (scale 1, bias 0) -> Reshape -> Mul -> Add.
  const double eps = node.attrs.get_float("epsilon", 1e-5);
  return [eps](const Inputs& in, const KernelContext&) {
    return Inputs{at::instance_norm(in[0], in[1], in[2], {}, {}, /*use_input_stats=*/true, 0.0, eps, false)};
  };
}

Kernel make_gemm(const Node& node, const Graph&) {
  const double alpha = node.attrs.get_float("alpha", 1.0);
  const double beta = node.attrs.get_float("beta", 1.0);
  const bool trans_a = node.attrs.get_int("transA", 0) != 0;
  const bool trans_b = node.attrs.get_int("transB", 0) != 0;
  return [=](const Inputs& in, const KernelContext&) {
    const at::Tensor a = trans_a ? in[0].t() : in[0];
    const at::Tensor b = trans_b ? in[1].t() : in[1];
    at::Tensor y = at::matmul(a, b);
    if (alpha != 1.0) y = y * alpha;
    if (in.size() > 2 && in[2].defined()) y = y + (beta == 1.0 ? in[2] : in[2] * beta);
    return Inputs{y};
  };
}

Kernel make_matmul(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) { return Inputs{at::matmul(in[0], in[1])}; };
}

Kernel make_max_pool(const Node& node, const Graph&) {
  check_auto_pad(node);
  const auto kernel = node.attrs.get_ints("kernel_shape", {});
  QAT_CHECK(kernel.size() == 2, "node '", node.name, "' (MaxPool): only 2-D pooling is supported");
  const auto strides = node.attrs.get_ints("strides", {1, 1});
  const auto dilations = node.attrs.get_ints("dilations", {1, 1});
  const auto pads = node.attrs.get_ints("pads", {0, 0, 0, 0});
  const bool ceil_mode = node.attrs.get_int("ceil_mode", 0) != 0;
  const auto sym = symmetric_pads(pads);
  QAT_CHECK(!sym.empty(), "node '", node.name, "' (MaxPool): asymmetric pads are not supported");
  return [=](const Inputs& in, const KernelContext&) {
    return Inputs{at::max_pool2d(in[0], kernel, strides, sym, dilations, ceil_mode)};
  };
}

Kernel make_average_pool(const Node& node, const Graph&) {
  check_auto_pad(node);
  const auto kernel = node.attrs.get_ints("kernel_shape", {});
  QAT_CHECK(kernel.size() == 2, "node '", node.name, "' (AveragePool): only 2-D pooling is supported");
  const auto strides = node.attrs.get_ints("strides", {1, 1});
  const auto pads = node.attrs.get_ints("pads", {0, 0, 0, 0});
  const bool ceil_mode = node.attrs.get_int("ceil_mode", 0) != 0;
  const bool count_include_pad = node.attrs.get_int("count_include_pad", 0) != 0;
  const auto sym = symmetric_pads(pads);
  QAT_CHECK(!sym.empty(), "node '", node.name, "' (AveragePool): asymmetric pads are not supported");
  return [=](const Inputs& in, const KernelContext&) {
    return Inputs{at::avg_pool2d(in[0], kernel, strides, sym, ceil_mode, count_include_pad)};
  };
}

Kernel make_global_average_pool(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) {
    return Inputs{in[0].mean({2, 3}, /*keepdim=*/true)};
  };
}

}  // namespace qat::graph::ops
