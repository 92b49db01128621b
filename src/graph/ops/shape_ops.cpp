// Ops that move data without arithmetic: concatenation, splitting, slicing, views.
#include "factories.h"

namespace qat::graph::ops {

using Inputs = std::vector<at::Tensor>;

Kernel make_concat(const Node& node, const Graph&) {
  QAT_CHECK(node.attrs.has("axis"), "node '", node.name, "' (Concat): attribute 'axis' is required");
  const int64_t axis = node.attrs.get_int("axis", 0);
  return [axis](const Inputs& in, const KernelContext&) { return Inputs{at::cat(in, axis)}; };
}

Kernel make_split(const Node& node, const Graph& graph) {
  const int64_t axis = node.attrs.get_int("axis", 0);
  std::vector<int64_t> sizes;
  if (node.inputs.size() > 1 && !node.inputs[1].empty()) {
    sizes = constant_ints(node, graph, 1);  // opset >= 13
  } else {
    sizes = node.attrs.get_ints("split", {});  // opset < 13
  }
  const int64_t parts = static_cast<int64_t>(node.outputs.size());
  QAT_CHECK(sizes.empty() || static_cast<int64_t>(sizes.size()) == parts, "node '", node.name,
            "' (Split): ", sizes.size(), " split sizes for ", parts, " outputs");
  return [axis, sizes, parts](const Inputs& in, const KernelContext&) {
    if (!sizes.empty()) return in[0].split_with_sizes(sizes, axis);
    const int64_t dim = in[0].size(axis);
    TORCH_CHECK(dim % parts == 0, "cannot split ", dim, " into ", parts, " equal parts");
    return in[0].split(dim / parts, axis);
  };
}

Kernel make_slice(const Node& node, const Graph& graph) {
  const auto starts = constant_ints(node, graph, 1);
  const auto ends = constant_ints(node, graph, 2);
  std::vector<int64_t> axes, steps;
  if (node.inputs.size() > 3 && !node.inputs[3].empty()) axes = constant_ints(node, graph, 3);
  if (node.inputs.size() > 4 && !node.inputs[4].empty()) steps = constant_ints(node, graph, 4);
  if (axes.empty()) {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  QAT_CHECK(starts.size() == ends.size() && axes.size() == starts.size() && steps.size() == starts.size(),
            "node '", node.name, "' (Slice): starts, ends, axes and steps differ in length");
  for (int64_t s : steps) QAT_CHECK(s > 0, "node '", node.name, "' (Slice): only positive steps are supported");
  return [starts, ends, axes, steps](const Inputs& in, const KernelContext&) {
    at::Tensor x = in[0];
    for (size_t i = 0; i < axes.size(); ++i) {
      const int64_t axis = axes[i] < 0 ? axes[i] + x.dim() : axes[i];
      const int64_t dim = x.size(axis);
      // ONNX clamps out-of-range bounds (INT64_MAX means "to the end").
      auto clamp = [dim](int64_t v) { return std::max<int64_t>(0, std::min(dim, v < 0 ? v + dim : v)); };
      x = x.slice(axis, clamp(starts[i]), clamp(ends[i]), steps[i]);
    }
    return Inputs{x};
  };
}

Kernel make_reshape(const Node& node, const Graph& graph) {
  const auto shape = constant_ints(node, graph, 1);
  const bool allow_zero = node.attrs.get_int("allowzero", 0) != 0;
  return [shape, allow_zero](const Inputs& in, const KernelContext&) {
    std::vector<int64_t> target = shape;
    for (size_t i = 0; i < target.size(); ++i) {
      if (target[i] == 0 && !allow_zero) target[i] = in[0].size(static_cast<int64_t>(i));  // 0 copies the dim
    }
    return Inputs{in[0].reshape(target)};
  };
}

Kernel make_transpose(const Node& node, const Graph&) {
  const auto perm = node.attrs.get_ints("perm", {});
  return [perm](const Inputs& in, const KernelContext&) {
    if (!perm.empty()) return Inputs{in[0].permute(perm)};
    std::vector<int64_t> reversed;
    for (int64_t d = in[0].dim() - 1; d >= 0; --d) reversed.push_back(d);
    return Inputs{in[0].permute(reversed)};
  };
}

Kernel make_flatten(const Node& node, const Graph&) {
  const int64_t axis = node.attrs.get_int("axis", 1);
  return [axis](const Inputs& in, const KernelContext&) {
    const int64_t a = axis < 0 ? axis + in[0].dim() : axis;
    int64_t outer = 1;
    for (int64_t d = 0; d < a; ++d) outer *= in[0].size(d);
    return Inputs{in[0].reshape({outer, -1})};
  };
}

Kernel make_unsqueeze(const Node& node, const Graph& graph) {
  auto axes = constant_ints(node, graph, 1);
  return [axes](const Inputs& in, const KernelContext&) {
    at::Tensor x = in[0];
    const int64_t rank = x.dim() + static_cast<int64_t>(axes.size());
    std::vector<int64_t> sorted;
    for (int64_t a : axes) sorted.push_back(a < 0 ? a + rank : a);
    std::sort(sorted.begin(), sorted.end());
    for (int64_t a : sorted) x = x.unsqueeze(a);
    return Inputs{x};
  };
}

Kernel make_squeeze(const Node& node, const Graph& graph) {
  std::vector<int64_t> axes;
  if (node.inputs.size() > 1 && !node.inputs[1].empty()) axes = constant_ints(node, graph, 1);
  return [axes](const Inputs& in, const KernelContext&) {
    if (axes.empty()) return Inputs{in[0].squeeze()};
    std::vector<int64_t> sorted;
    for (int64_t a : axes) sorted.push_back(a < 0 ? a + in[0].dim() : a);
    std::sort(sorted.rbegin(), sorted.rend());
    at::Tensor x = in[0];
    for (int64_t a : sorted) x = x.squeeze(a);
    return Inputs{x};
  };
}

}  // namespace qat::graph::ops
