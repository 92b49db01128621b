// Resize (ONNX opsets 11-17): nearest and linear interpolation with every
// coordinate_transformation_mode except tf_crop_and_resize. Each resized axis maps
// its output coordinates to input coordinates as ONNX's reference implementation
// does and gathers along that axis (index_select, so autograd flows); linear mode
// blends the two neighbours, which makes N-D linear the separable product.
#include <cmath>

#include "factories.h"

namespace qat::graph::ops {

using Inputs = std::vector<at::Tensor>;

namespace {

enum class Transform { kHalfPixel, kPytorchHalfPixel, kAlignCorners, kAsymmetric, kTfHalfPixelForNn };
enum class Rounding { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

// The attribute's value among `choices`; anything else is refused naming the node and attribute.
template <typename E>
E parse_choice(const Node& node, const std::string& attr, const std::string& fallback,
               const std::vector<std::pair<std::string, E>>& choices) {
  const std::string value = node.attrs.get_string(attr, fallback);
  std::string known;
  for (const auto& [name, e] : choices) {
    if (name == value) return e;
    known += (known.empty() ? "" : ", ") + name;
  }
  throw Error("node '" + node.name + "' (Resize): " + attr + " '" + value + "' is not supported (" + known + ")");
}

// The input coordinate of output coordinate x. As in ONNX's reference, the resized
// length is scale * input length (not rounded) when the node gives scales.
double original_coordinate(Transform t, int64_t x, double scale, int64_t in_len, double out_len) {
  switch (t) {
    case Transform::kHalfPixel: return (x + 0.5) / scale - 0.5;
    case Transform::kPytorchHalfPixel: return out_len > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case Transform::kAlignCorners: return out_len == 1 ? 0.0 : x * (in_len - 1) / (out_len - 1);
    case Transform::kAsymmetric: return x / scale;
    case Transform::kTfHalfPixelForNn: return (x + 0.5) / scale;
  }
  return 0.0;
}

int64_t nearest(Rounding r, double x) {
  switch (r) {
    case Rounding::kRoundPreferFloor: return static_cast<int64_t>(x == std::floor(x) + 0.5 ? std::floor(x) : std::round(x));
    case Rounding::kRoundPreferCeil: return static_cast<int64_t>(x == std::floor(x) + 0.5 ? std::ceil(x) : std::round(x));
    case Rounding::kFloor: return static_cast<int64_t>(std::floor(x));
    case Rounding::kCeil: return static_cast<int64_t>(std::ceil(x));
  }
  return 0;
}

// Integer upscaling where these modes pick input pixel floor(x / s), as ATen's
// upsample_nearest does: (x + 0.5) / s - 0.5 lies within (k - 0.5, k + 0.5) for
// x = s * k + j, 0 <= j < s, so any round-to-nearest gives k.
bool picks_floor_on_integer_upscale(Transform t, Rounding r) {
  const bool rounds = r == Rounding::kRoundPreferFloor || r == Rounding::kRoundPreferCeil;
  switch (t) {
    case Transform::kHalfPixel:
    case Transform::kPytorchHalfPixel: return rounds;
    case Transform::kAsymmetric:
    case Transform::kTfHalfPixelForNn: return r == Rounding::kFloor;
    case Transform::kAlignCorners: return false;
  }
  return false;
}

int64_t clamp_index(int64_t i, int64_t len) { return std::min(std::max<int64_t>(i, 0), len - 1); }

// What a Resize node asks for, read once when the kernel is made.
struct ResizeSpec {
  std::string name;
  bool linear = false;
  Transform transform = Transform::kHalfPixel;
  Rounding rounding = Rounding::kRoundPreferFloor;
  bool has_sizes = false;   // sizes (input 3) rather than scales (input 2)
  size_t given_input = 2;   // the input that holds them
  bool computed = false;    // not an initializer: read on every run
  std::vector<double> const_scales;
  std::vector<int64_t> const_sizes;
  bool fast_modes = false;  // nearest modes that ATen's upsample_nearest2d matches on integer upscales
};

// The output length of each axis, its scale and its unrounded length, and whether
// the resize is a whole-factor upscale of height and width only.
struct ResizeGeometry {
  std::vector<int64_t> out_size;
  std::vector<double> scale, out_len;
  bool integer_upscale = false;
};

void check_positive(const std::string& name, const std::vector<double>& scales) {
  for (double s : scales) QAT_CHECK(s > 0, "node '", name, "' (Resize): scales must be positive, got ", s);
}

ResizeSpec read_resize_spec(const Node& node, const Graph& graph) {
  ResizeSpec spec;
  spec.name = node.name;
  const std::string mode = node.attrs.get_string("mode", "nearest");
  QAT_CHECK(mode == "nearest" || mode == "linear", "node '", node.name, "' (Resize): mode '", mode,
            "' is not supported (nearest, linear)");
  spec.linear = mode == "linear";
  spec.transform = parse_choice<Transform>(
      node, "coordinate_transformation_mode", "half_pixel",
      {{"half_pixel", Transform::kHalfPixel}, {"pytorch_half_pixel", Transform::kPytorchHalfPixel},
       {"align_corners", Transform::kAlignCorners}, {"asymmetric", Transform::kAsymmetric},
       {"tf_half_pixel_for_nn", Transform::kTfHalfPixelForNn}});
  spec.rounding = parse_choice<Rounding>(node, "nearest_mode", "round_prefer_floor",
                                         {{"round_prefer_floor", Rounding::kRoundPreferFloor},
                                          {"round_prefer_ceil", Rounding::kRoundPreferCeil},
                                          {"floor", Rounding::kFloor},
                                          {"ceil", Rounding::kCeil}});
  // Constant scales or sizes are read once; computed ones (sizes from Shape -> Gather
  // -> Concat on a dynamic batch: F.interpolate(size=feat.shape[-2:])) on every run.
  spec.has_sizes = node.inputs.size() > 3 && !node.inputs[3].empty();
  QAT_CHECK(spec.has_sizes || (node.inputs.size() > 2 && !node.inputs[2].empty()), "node '", node.name,
            "' (Resize): needs scales or sizes");
  spec.given_input = spec.has_sizes ? 3 : 2;
  spec.computed = !graph.has_initializer(node.inputs[spec.given_input]);
  if (!spec.computed && spec.has_sizes) spec.const_sizes = constant_ints(node, graph, 3);
  if (!spec.computed && !spec.has_sizes) spec.const_scales = constant_floats(node, graph, 2);
  check_positive(node.name, spec.const_scales);
  spec.fast_modes = !spec.linear && picks_floor_on_integer_upscale(spec.transform, spec.rounding);
  return spec;
}

ResizeGeometry resize_geometry(const ResizeSpec& spec, const at::Tensor& x, const std::vector<int64_t>& sizes,
                               const std::vector<double>& scales) {
  const int64_t rank = x.dim();
  const size_t given = spec.has_sizes ? sizes.size() : scales.size();
  QAT_CHECK(static_cast<int64_t>(given) == rank, "node '", spec.name, "' (Resize): ",
            spec.has_sizes ? "sizes" : "scales", " has ", given, " values for a rank-", rank, " input");
  ResizeGeometry g;
  g.out_size.resize(static_cast<size_t>(rank));
  g.scale.resize(static_cast<size_t>(rank));
  g.out_len.resize(static_cast<size_t>(rank));
  g.integer_upscale = rank == 4;
  for (int64_t i = 0; i < rank; ++i) {
    const auto u = static_cast<size_t>(i);
    const int64_t n = x.size(i);
    if (spec.has_sizes) {
      g.out_size[u] = sizes[u];
      g.scale[u] = static_cast<double>(sizes[u]) / static_cast<double>(n);
      g.out_len[u] = static_cast<double>(sizes[u]);
    } else {
      g.scale[u] = scales[u];
      g.out_len[u] = static_cast<double>(n) * scales[u];
      g.out_size[u] = static_cast<int64_t>(std::floor(g.out_len[u]));
    }
    QAT_CHECK(g.out_size[u] > 0, "node '", spec.name, "' (Resize): axis ", i, " of size ", n, " resizes to ",
              g.out_size[u]);
    // Batch and channels unchanged; height and width scaled by whole factors.
    const bool whole = n > 0 && g.out_size[u] % n == 0 && g.scale[u] == static_cast<double>(g.out_size[u] / n);
    g.integer_upscale = g.integer_upscale && whole && (i >= 2 || g.out_size[u] == n);
  }
  return g;
}

// y resized along axis i (input length n) to the geometry's length; y itself when
// every output coordinate maps onto its own input pixel.
at::Tensor resize_axis(const ResizeSpec& spec, const ResizeGeometry& g, const at::Tensor& y, int64_t i, int64_t n) {
  const auto u = static_cast<size_t>(i);
  const int64_t m = g.out_size[u];
  std::vector<int64_t> lo(static_cast<size_t>(m)), hi(static_cast<size_t>(m));
  std::vector<float> weight(static_cast<size_t>(m));
  bool identity = m == n;
  for (int64_t j = 0; j < m; ++j) {
    const auto v = static_cast<size_t>(j);
    const double c = original_coordinate(spec.transform, j, g.scale[u], n, g.out_len[u]);
    if (spec.linear) {
      const double f = std::floor(c);
      lo[v] = clamp_index(static_cast<int64_t>(f), n);
      hi[v] = clamp_index(static_cast<int64_t>(f) + 1, n);
      weight[v] = static_cast<float>(c - f);
      identity = identity && lo[v] == j && (weight[v] == 0 || hi[v] == j);
    } else {
      lo[v] = clamp_index(nearest(spec.rounding, c), n);
      identity = identity && lo[v] == j;
    }
  }
  if (identity) return y;
  const auto index_options = at::TensorOptions().dtype(at::kLong);
  const at::Tensor a = y.index_select(i, at::tensor(lo, index_options));
  if (!spec.linear) return a;
  std::vector<int64_t> shape(static_cast<size_t>(y.dim()), 1);
  shape[u] = m;
  const at::Tensor w = at::tensor(weight, y.options().requires_grad(false)).reshape(shape);
  const at::Tensor b = y.index_select(i, at::tensor(hi, index_options));
  return a * (1 - w) + b * w;
}

}  // namespace

Kernel make_resize(const Node& node, const Graph& graph) {
  const ResizeSpec spec = read_resize_spec(node, graph);
  return [spec](const Inputs& in, const KernelContext&) {
    const at::Tensor& x = in[0];
    std::vector<int64_t> run_sizes;
    std::vector<double> run_scales;
    if (spec.computed) {
      const at::Tensor v = in[spec.given_input].to(at::kDouble).contiguous();
      const std::vector<double> values(v.data_ptr<double>(), v.data_ptr<double>() + v.numel());
      if (spec.has_sizes) {
        for (double d : values) run_sizes.push_back(static_cast<int64_t>(d));
      } else {
        run_scales = values;
        check_positive(spec.name, run_scales);
      }
    }
    const ResizeGeometry g = resize_geometry(spec, x, spec.computed ? run_sizes : spec.const_sizes,
                                             spec.computed ? run_scales : spec.const_scales);
    if (spec.fast_modes && g.integer_upscale) return Inputs{at::upsample_nearest2d(x, {g.out_size[2], g.out_size[3]})};
    at::Tensor y = x;
    for (int64_t i = 0; i < x.dim(); ++i) y = resize_axis(spec, g, y, i, x.size(i));
    return Inputs{y};
  };
}

}  // namespace qat::graph::ops
