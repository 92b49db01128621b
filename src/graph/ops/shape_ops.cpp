// Ops that move data without arithmetic: concatenation, splitting, slicing, views.
#include "factories.h"

#include <ATen/ExpandUtils.h>

#include <cmath>

#include "qat/graph/onnx_tensor.h"

namespace qat::graph::ops {

using Inputs = std::vector<at::Tensor>;

namespace {

std::vector<int64_t> to_ints(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kLong).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

bool is_constant(const Node& node, const Graph& graph, size_t index) {
  return index < node.inputs.size() && graph.has_initializer(node.inputs[index]);
}

}  // namespace

Kernel make_concat(const Node& node, const Graph&) {
  QAT_CHECK(node.attrs.has("axis"), "node '", node.name, "' (Concat): attribute 'axis' is required");
  const int64_t axis = node.attrs.get_int("axis", 0);
  return [axis](const Inputs& in, const KernelContext&) { return Inputs{at::cat(in, axis)}; };
}

Kernel make_split(const Node& node, const Graph& graph) {
  const int64_t axis = node.attrs.get_int("axis", 0);
  const bool given = node.inputs.size() > 1 && !node.inputs[1].empty();  // opset >= 13
  // Constant sizes are read once; computed ones (from a Shape) on every run.
  const bool computed = given && !is_constant(node, graph, 1);
  std::vector<int64_t> sizes;
  if (given && !computed) {
    sizes = constant_ints(node, graph, 1);
  } else if (!given) {
    sizes = node.attrs.get_ints("split", {});  // opset < 13
  }
  const int64_t parts = static_cast<int64_t>(node.outputs.size());
  QAT_CHECK(sizes.empty() || static_cast<int64_t>(sizes.size()) == parts, "node '", node.name,
            "' (Split): ", sizes.size(), " split sizes for ", parts, " outputs");
  return [axis, sizes, parts, computed](const Inputs& in, const KernelContext&) {
    if (computed) {
      const auto run_sizes = to_ints(in[1]);
      TORCH_CHECK(static_cast<int64_t>(run_sizes.size()) == parts, run_sizes.size(), " split sizes for ", parts,
                  " outputs");
      return in[0].split_with_sizes(run_sizes, axis);
    }
    if (!sizes.empty()) return in[0].split_with_sizes(sizes, axis);
    const int64_t dim = in[0].size(axis);
    TORCH_CHECK(dim % parts == 0, "cannot split ", dim, " into ", parts, " equal parts");
    return in[0].split(dim / parts, axis);
  };
}

namespace {

struct SliceSpec {
  std::vector<int64_t> starts, ends, axes, steps;
};

// Fills default axes and steps and checks the lengths; `error` prefixes messages.
SliceSpec slice_spec(std::vector<int64_t> starts, std::vector<int64_t> ends, std::vector<int64_t> axes,
                     std::vector<int64_t> steps, const std::string& error) {
  if (axes.empty()) {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  TORCH_CHECK(starts.size() == ends.size() && axes.size() == starts.size() && steps.size() == starts.size(), error,
              "starts, ends, axes and steps differ in length");
  for (int64_t s : steps) TORCH_CHECK(s > 0, error, "only positive steps are supported");
  return {std::move(starts), std::move(ends), std::move(axes), std::move(steps)};
}

at::Tensor apply_slice(const at::Tensor& input, const SliceSpec& spec) {
  at::Tensor x = input;
  for (size_t i = 0; i < spec.axes.size(); ++i) {
    const int64_t axis = spec.axes[i] < 0 ? spec.axes[i] + x.dim() : spec.axes[i];
    const int64_t dim = x.size(axis);
    // ONNX clamps out-of-range bounds (INT64_MAX means "to the end").
    auto clamp = [dim](int64_t v) { return std::max<int64_t>(0, std::min(dim, v < 0 ? v + dim : v)); };
    x = x.slice(axis, clamp(spec.starts[i]), clamp(spec.ends[i]), spec.steps[i]);
  }
  return x;
}

}  // namespace

Kernel make_slice(const Node& node, const Graph& graph) {
  // Constant starts/ends/axes/steps are read once (the fast path); any computed one
  // (ends from Shape: torch's chunk on a dynamic batch) makes the node read all of
  // them on every run.
  bool constant = true;
  for (size_t i = 1; i < node.inputs.size(); ++i) constant = constant && (node.inputs[i].empty() || is_constant(node, graph, i));
  const std::string error = "node '" + node.name + "' (Slice): ";
  auto optional_ints = [&](size_t i) {
    return node.inputs.size() > i && !node.inputs[i].empty() ? constant_ints(node, graph, i) : std::vector<int64_t>{};
  };
  if (!constant) {
    return [error](const Inputs& in, const KernelContext&) {
      auto ints = [&](size_t i) { return in.size() > i && in[i].defined() ? to_ints(in[i]) : std::vector<int64_t>{}; };
      return Inputs{apply_slice(in[0], slice_spec(ints(1), ints(2), ints(3), ints(4), error))};
    };
  }
  SliceSpec spec;
  try {
    spec = slice_spec(optional_ints(1), optional_ints(2), optional_ints(3), optional_ints(4), error);
  } catch (const c10::Error& e) {
    throw Error(e.what_without_backtrace());
  }
  return [spec](const Inputs& in, const KernelContext&) { return Inputs{apply_slice(in[0], spec)}; };
}

Kernel make_reshape(const Node& node, const Graph& graph) {
  // A constant shape is read once; a computed one (dynamic batch: Shape -> Gather -> Concat)
  // is read on every run.
  const bool constant = is_constant(node, graph, 1);
  const auto shape = constant ? constant_ints(node, graph, 1) : std::vector<int64_t>{};
  const bool allow_zero = node.attrs.get_int("allowzero", 0) != 0;
  return [constant, shape, allow_zero](const Inputs& in, const KernelContext&) {
    std::vector<int64_t> target = constant ? shape : to_ints(in[1]);
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
    TORCH_CHECK(a >= 0 && a <= in[0].dim(), "axis ", axis, " is out of range for a rank-", in[0].dim(), " input");
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

Kernel make_shape(const Node& node, const Graph&) {
  const int64_t start = node.attrs.get_int("start", 0);
  const bool has_end = node.attrs.has("end");
  const int64_t end = node.attrs.get_int("end", 0);
  return [start, has_end, end](const Inputs& in, const KernelContext&) {
    const int64_t rank = in[0].dim();
    auto clamp = [rank](int64_t v) { return std::max<int64_t>(0, std::min(rank, v < 0 ? v + rank : v)); };
    const int64_t b = clamp(start), e = has_end ? clamp(end) : rank;
    const auto sizes = in[0].sizes().vec();
    std::vector<int64_t> out(sizes.begin() + b, sizes.begin() + std::max(b, e));
    return Inputs{at::tensor(out, at::kLong)};
  };
}

Kernel make_constant(const Node& node, const Graph&) {
  at::Tensor value;
  if (node.attrs.has("value")) {
    value = node.attrs.get_tensor("value");
  } else if (node.attrs.has("value_float")) {
    value = at::scalar_tensor(node.attrs.get_float("value_float", 0), at::kFloat);
  } else if (node.attrs.has("value_int")) {
    value = at::scalar_tensor(node.attrs.get_int("value_int", 0), at::kLong);
  } else if (node.attrs.has("value_floats")) {
    const auto v = node.attrs.get_floats("value_floats", {});
    value = at::tensor(v, at::kDouble).to(at::kFloat);
  } else if (node.attrs.has("value_ints")) {
    value = at::tensor(node.attrs.get_ints("value_ints", {}), at::kLong);
  } else {
    QAT_CHECK(false, "node '", node.name, "' (Constant): needs one of value, value_float, value_floats, "
              "value_int, value_ints");
  }
  return [value](const Inputs&, const KernelContext&) { return Inputs{value}; };
}

Kernel make_constant_of_shape(const Node& node, const Graph&) {
  const at::Tensor value = node.attrs.has("value") ? node.attrs.get_tensor("value") : at::zeros({1}, at::kFloat);
  QAT_CHECK(value.numel() == 1, "node '", node.name, "' (ConstantOfShape): value must have one element");
  const at::Tensor scalar = value.reshape({});
  return [scalar](const Inputs& in, const KernelContext&) {
    return Inputs{scalar.expand(to_ints(in[0])).contiguous()};
  };
}

Kernel make_cast(const Node& node, const Graph&) {
  QAT_CHECK(node.attrs.has("to"), "node '", node.name, "' (Cast): attribute 'to' is required");
  at::ScalarType to = at::kFloat;
  try {
    to = aten_dtype(static_cast<int>(node.attrs.get_int("to", 0)));
  } catch (Error& e) {
    throw e.add_context("reading attribute 'to' of node '" + node.name + "' (Cast)");
  }
  return [to](const Inputs& in, const KernelContext&) { return Inputs{in[0].to(to)}; };
}

Kernel make_gather(const Node& node, const Graph&) {
  const int64_t axis = node.attrs.get_int("axis", 0);
  return [axis](const Inputs& in, const KernelContext&) {
    const at::Tensor& data = in[0];
    const int64_t a = axis < 0 ? axis + data.dim() : axis;
    TORCH_CHECK(a >= 0 && a < data.dim(), "axis ", axis, " is out of range for a rank-", data.dim(), " input");
    at::Tensor idx = in[1].to(at::kLong);
    idx = at::where(idx < 0, idx + data.size(a), idx);  // negative indices count from the end
    std::vector<int64_t> shape(data.sizes().begin(), data.sizes().begin() + a);
    for (int64_t d : idx.sizes()) shape.push_back(d);
    for (int64_t d = a + 1; d < data.dim(); ++d) shape.push_back(data.size(d));
    return Inputs{data.index_select(a, idx.reshape({-1})).reshape(shape)};
  };
}

Kernel make_expand(const Node& node, const Graph& graph) {
  const bool constant = is_constant(node, graph, 1);
  const auto shape = constant ? constant_ints(node, graph, 1) : std::vector<int64_t>{};
  return [constant, shape](const Inputs& in, const KernelContext&) {
    // Bidirectional broadcast: a 1 in `shape` keeps the input's dimension.
    const auto target = at::infer_size(in[0].sizes(), constant ? shape : to_ints(in[1]));
    return Inputs{in[0].expand(target)};
  };
}

Kernel make_tile(const Node& node, const Graph& graph) {
  const bool constant = is_constant(node, graph, 1);
  const auto repeats = constant ? constant_ints(node, graph, 1) : std::vector<int64_t>{};
  return [constant, repeats](const Inputs& in, const KernelContext&) {
    const auto r = constant ? repeats : to_ints(in[1]);
    TORCH_CHECK(static_cast<int64_t>(r.size()) == in[0].dim(), "Tile: ", r.size(), " repeats for a rank-", in[0].dim(),
                " input");
    return Inputs{in[0].repeat(r)};
  };
}

Kernel make_range(const Node&, const Graph&) {
  return [](const Inputs& in, const KernelContext&) {
    // ONNX: n = max(ceil((limit - start) / delta), 0) elements start + i * delta, in start's type.
    const double start = in[0].item<double>(), limit = in[1].item<double>(), delta = in[2].item<double>();
    TORCH_CHECK(delta != 0, "Range: delta is 0");
    const auto n = static_cast<int64_t>(std::max(std::ceil((limit - start) / delta), 0.0));
    const auto type = in[0].scalar_type();
    if (at::isIntegralType(type, false)) {
      return Inputs{(at::arange(n, at::kLong) * in[2].item<int64_t>() + in[0].item<int64_t>()).to(type)};
    }
    return Inputs{(at::arange(n, at::kDouble) * delta + start).to(type)};
  };
}

}  // namespace qat::graph::ops
