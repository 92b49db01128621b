// Reductions over axes (ONNX opset 13: ReduceSum takes axes as an input, the
// others as an attribute; keepdims defaults to 1).
#include "factories.h"

namespace qat::graph::ops {

using Inputs = std::vector<at::Tensor>;

namespace {

// The dims to reduce; empty `axes` means all of them.
std::vector<int64_t> reduce_dims(const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<int64_t> dims;
  if (axes.empty()) {
    for (int64_t d = 0; d < rank; ++d) dims.push_back(d);
  } else {
    for (int64_t a : axes) dims.push_back(a < 0 ? a + rank : a);
  }
  return dims;
}

using Reduction = at::Tensor (*)(const at::Tensor&, at::IntArrayRef, bool);

Kernel make_reduction(const Node& node, Reduction reduce) {
  const auto axes = node.attrs.get_ints("axes", {});
  const bool keepdims = node.attrs.get_int("keepdims", 1) != 0;
  return [axes, keepdims, reduce](const Inputs& in, const KernelContext&) {
    return Inputs{reduce(in[0], reduce_dims(axes, in[0].dim()), keepdims)};
  };
}

at::Tensor mean(const at::Tensor& x, at::IntArrayRef dims, bool keep) { return at::mean(x, dims, keep); }
at::Tensor amax(const at::Tensor& x, at::IntArrayRef dims, bool keep) { return at::amax(x, dims, keep); }
at::Tensor amin(const at::Tensor& x, at::IntArrayRef dims, bool keep) { return at::amin(x, dims, keep); }

}  // namespace

Kernel make_reduce_mean(const Node& node, const Graph&) { return make_reduction(node, mean); }
Kernel make_reduce_max(const Node& node, const Graph&) { return make_reduction(node, amax); }
Kernel make_reduce_min(const Node& node, const Graph&) { return make_reduction(node, amin); }

Kernel make_reduce_sum(const Node& node, const Graph& graph) {
  std::vector<int64_t> axes;
  if (node.inputs.size() > 1 && !node.inputs[1].empty()) axes = constant_ints(node, graph, 1);
  const bool keepdims = node.attrs.get_int("keepdims", 1) != 0;
  const bool noop_with_empty_axes = node.attrs.get_int("noop_with_empty_axes", 0) != 0;
  return [axes, keepdims, noop_with_empty_axes](const Inputs& in, const KernelContext&) {
    if (axes.empty() && noop_with_empty_axes) return Inputs{in[0]};
    // at::sum widens integers to int64; ONNX keeps the input's type.
    return Inputs{at::sum(in[0], reduce_dims(axes, in[0].dim()), keepdims).to(in[0].scalar_type())};
  };
}

}  // namespace qat::graph::ops
