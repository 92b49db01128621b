#include "qat/quant/fake_quant_kernels.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <vector>

#include "fake_quant_lanes.h"
#include "fake_quant_saved.h"

// Compiled as ATen's kernels are, contraction included (fake_quant_lanes.h).

namespace qat::quant {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;
using namespace detail;

// Per-element parameters: element i of the row uses entry i (per-channel on the last axis).
struct Lanes {
  const float *scale, *inv_scale, *zero, *lo, *hi, *t_lo, *t_hi;
};

inline Grid at_lane(const Grid& g, int64_t) { return g; }
inline Grid at_lane(const Lanes& l, int64_t i) {
  return {l.scale[i], l.inv_scale[i], l.zero[i], l.lo[i], l.hi[i], l.t_lo[i], l.t_hi[i]};
}

// The LSQ backward rounds zero_point + x * inv_scale (zero point added before rounding).
inline void lsq_lane(float x, float dy, const Grid& g, Bounds b, float* dx, float* ds) {
  const float q = std::nearbyint(g.zero + x * g.inv_scale);
  const bool in = inside(q, b);
  *dx = dy * (in ? 1.0f : 0.0f);
  if (ds == nullptr) return;
  if (in) {
    const float xfq = (q - g.zero) * g.scale;
    *ds = dy * (xfq - x) * g.inv_scale;
  } else {
    const bool below = !(q >= b.qmin) || q >= kInt64Overflow;
    *ds = dy * (below ? b.qmin - g.zero : b.qmax - g.zero);
  }
}

// ---- AVX2 rows ----

QAT_AVX2 inline VGrid vec_lane(const Grid& g, int64_t) { return vec_grid(g); }
QAT_AVX2 inline VGrid vec_lane(const Lanes& l, int64_t i) {
  // Each kernel reads only the entries its lanes use; the compiler drops the other loads.
  return {_mm256_loadu_ps(l.scale + i), _mm256_loadu_ps(l.inv_scale + i), _mm256_loadu_ps(l.zero + i),
          _mm256_loadu_ps(l.lo + i),    _mm256_loadu_ps(l.hi + i),        _mm256_loadu_ps(l.t_lo + i),
          _mm256_loadu_ps(l.t_hi + i)};
}

// Each row: a scalar head up to the first aligned output (when streaming), vector lanes,
// a scalar tail. The lanes are the same arithmetic either way, so where a row splits
// does not change a bit. The vector loops are unrolled: a lane's few operations would
// leave the loop's own instructions a large share of the issue slots.
template <bool Stream, class G>
QAT_AVX2 void forward_avx2(const float* x, float* y, int64_t n, const G& grid) {
  int64_t i = 0;
  for (const int64_t head = Stream ? to_aligned(y, n) : 0; i < head; ++i) y[i] = forward_lane(x[i], at_lane(grid, i));
#pragma GCC unroll 4
  for (; i + 8 <= n; i += 8) store8<Stream>(y + i, vec_forward(_mm256_loadu_ps(x + i), vec_lane(grid, i)));
  for (; i < n; ++i) y[i] = forward_lane(x[i], at_lane(grid, i));
}

template <bool Stream, class G>
QAT_AVX2 void ste_avx2(const float* x, const float* dy, float* dx, int64_t n, const G& grid) {
  int64_t i = 0;
  for (const int64_t head = Stream ? to_aligned(dx, n) : 0; i < head; ++i) {
    dx[i] = ste_lane(x[i], dy[i], at_lane(grid, i));
  }
#pragma GCC unroll 4
  for (; i + 8 <= n; i += 8) {
    store8<Stream>(dx + i, vec_ste(_mm256_loadu_ps(x + i), _mm256_loadu_ps(dy + i), vec_lane(grid, i)));
  }
  for (; i < n; ++i) dx[i] = ste_lane(x[i], dy[i], at_lane(grid, i));
}

// dx and ds have the same layout and alignment (both empty_like(x)), so one head serves both.
template <bool Stream, class G>
QAT_AVX2 void lsq_avx2(const float* x, const float* dy, float* dx, float* ds, int64_t n, const G& grid, Bounds b) {
  const VBounds vb = vec_bounds(b);
  const __m256 one = _mm256_set1_ps(1.0f);
  const auto scalar = [&](int64_t i) {
    lsq_lane(x[i], dy[i], at_lane(grid, i), b, dx + i, ds == nullptr ? nullptr : ds + i);
  };
  int64_t i = 0;
  for (const int64_t head = Stream ? to_aligned(dx, n) : 0; i < head; ++i) scalar(i);
  for (; i + 8 <= n; i += 8) {
    const VGrid g = vec_lane(grid, i);
    const __m256 xv = _mm256_loadu_ps(x + i), dyv = _mm256_loadu_ps(dy + i);
    const __m256 q = _mm256_round_ps(_mm256_add_ps(g.zero, _mm256_mul_ps(xv, g.inv_scale)), kRound);
    const __m256 in = vec_inside(q, vb);
    store8<Stream>(dx + i, _mm256_mul_ps(dyv, _mm256_and_ps(in, one)));
    if (ds == nullptr) continue;
    const __m256 xfq = _mm256_mul_ps(_mm256_sub_ps(q, g.zero), g.scale);
    const __m256 ds_in = _mm256_mul_ps(_mm256_mul_ps(dyv, _mm256_sub_ps(xfq, xv)), g.inv_scale);
    const __m256 below =
        _mm256_or_ps(_mm256_cmp_ps(q, vb.qmin, _CMP_NGE_UQ), _mm256_cmp_ps(q, vb.overflow, _CMP_GE_OQ));
    const __m256 edge = _mm256_blendv_ps(_mm256_sub_ps(vb.qmax, g.zero), _mm256_sub_ps(vb.qmin, g.zero), below);
    store8<Stream>(ds + i, _mm256_blendv_ps(_mm256_mul_ps(dyv, edge), ds_in, in));
  }
  for (; i < n; ++i) scalar(i);
}

// ---- row dispatch: AVX2 when the CPU has it, the scalar lanes otherwise; `stream`
// when the whole output is large enough (streams()) ----

template <class G>
void forward_row(const float* x, float* y, int64_t n, const G& g, bool stream) {
  if (has_avx2()) return stream ? forward_avx2<true>(x, y, n, g) : forward_avx2<false>(x, y, n, g);
  for (int64_t i = 0; i < n; ++i) y[i] = forward_lane(x[i], at_lane(g, i));
}

template <class G>
void ste_row(const float* x, const float* dy, float* dx, int64_t n, const G& g, bool stream) {
  if (has_avx2()) return stream ? ste_avx2<true>(x, dy, dx, n, g) : ste_avx2<false>(x, dy, dx, n, g);
  for (int64_t i = 0; i < n; ++i) dx[i] = ste_lane(x[i], dy[i], at_lane(g, i));
}

template <class G>
void lsq_row(const float* x, const float* dy, float* dx, float* ds, int64_t n, const G& g, Bounds b, bool stream) {
  if (has_avx2()) return stream ? lsq_avx2<true>(x, dy, dx, ds, n, g, b) : lsq_avx2<false>(x, dy, dx, ds, n, g, b);
  for (int64_t i = 0; i < n; ++i) lsq_lane(x[i], dy[i], at_lane(g, i), b, dx + i, ds == nullptr ? nullptr : ds + i);
}

// ---- layouts ----

// Per-tensor kernels are elementwise: any dense layout is walked in memory order, so
// the output keeps the input's strides (as ATen's empty_like(Preserve) does).
at::Tensor dense(const at::Tensor& x) { return x.is_non_overlapping_and_dense() ? x : x.contiguous(); }

// `t` laid out exactly as `like` (the gradient of a dense input may come in other strides).
at::Tensor laid_out_as(const at::Tensor& t, const at::Tensor& like) {
  if (t.strides() == like.strides()) return t;
  return at::empty_like(like).copy_(t);
}

// A per-element gradient vector summed as ATen sums its own: in the layout ATen gives it
// (empty_like(X, Preserve)), so that the float summation order, and thus the bits, agree.
at::Tensor aten_layout(const at::Tensor& t, const at::Tensor& original) {
  const auto like = at::empty_like(original, at::MemoryFormat::Preserve);
  return like.strides() == t.strides() ? t : like.copy_(t);
}

void check_float(const at::Tensor& x) {
  TORCH_CHECK(x.scalar_type() == at::kFloat, "fake quantization needs a float32 tensor, got ", x.scalar_type());
}

// Rows of the per-element work, split over threads as ATen's elementwise kernels are.
// `stream`: the rows write with streaming stores, fenced once per chunk.
template <class F>
void parallel_rows(int64_t rows, int64_t row_length, bool stream, const F& f) {
  const int64_t grain = std::max<int64_t>(1, at::internal::GRAIN_SIZE / std::max<int64_t>(1, row_length));
  at::parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) f(r);
    fence_streaming_stores(stream);
  });
}

template <class F>
void parallel_span(int64_t n, bool stream, const F& f) {
  at::parallel_for(0, n, at::internal::GRAIN_SIZE, [&](int64_t begin, int64_t end) {
    f(begin, end - begin);
    fence_streaming_stores(stream);
  });
}

// Per-channel parameters in float, one Grid's fields per channel (side by side, for the vector lanes).
struct Channels {
  std::vector<float> scale, inv_scale, zero, lo, hi, t_lo, t_hi;
  Grid grid(int64_t c) const { return {scale[c], inv_scale[c], zero[c], lo[c], hi[c], t_lo[c], t_hi[c]}; }
  Lanes lanes() const {
    return {scale.data(), inv_scale.data(), zero.data(), lo.data(), hi.data(), t_lo.data(), t_hi.data()};
  }
};

// The zero points must lie in the grid, as ATen's ops require (its arithmetic, and ours, assume it).
Channels channels(const at::Tensor& scale, const at::Tensor& zero_point, Bounds b) {
  const auto s = scale.detach().to(at::kFloat).contiguous();
  const auto z = zero_point.detach().to(at::kFloat).contiguous();  // int32 and rounded floats are exact
  const auto n = s.numel();
  Channels ch;
  for (auto* v : {&ch.scale, &ch.inv_scale, &ch.zero, &ch.lo, &ch.hi, &ch.t_lo, &ch.t_hi}) v->resize(n);
  for (int64_t c = 0; c < n; ++c) {
    const float zc = z.data_ptr<float>()[c];
    TORCH_CHECK(zc >= b.qmin && zc <= b.qmax, "fake quantization: zero point ", zc, " of channel ", c,
                " is outside [", b.qmin, ", ", b.qmax, "]");
    const Grid g = grid_of(s.data_ptr<float>()[c], zc, b);
    ch.scale[c] = g.scale, ch.inv_scale[c] = g.inv_scale, ch.zero[c] = g.zero;
    ch.lo[c] = g.lo, ch.hi[c] = g.hi, ch.t_lo[c] = g.t_lo, ch.t_hi[c] = g.t_hi;
  }
  return ch;
}

// A contiguous tensor seen as [outer, C, inner] around `axis`.
struct ChannelShape {
  int64_t outer = 1, channels = 1, inner = 1;
};
ChannelShape channel_shape(const at::Tensor& x, int64_t axis) {
  ChannelShape s;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d < axis) s.outer *= x.size(d);
    if (d > axis) s.inner *= x.size(d);
  }
  s.channels = x.size(axis);
  return s;
}

// Runs f(row pointer offset, length, grid-or-lanes) over a contiguous [outer, C, inner] tensor.
template <class F>
void per_channel_rows(const ChannelShape& s, const Channels& ch, bool stream, const F& f) {
  if (s.inner == 1) {  // the channel is the fastest axis: one row holds every channel once
    const Lanes lanes = ch.lanes();
    parallel_rows(s.outer, s.channels, stream, [&](int64_t r) { f(r * s.channels, s.channels, lanes); });
    return;
  }
  parallel_rows(s.outer * s.channels, s.inner, stream,
                [&](int64_t r) { f(r * s.inner, s.inner, ch.grid(r % s.channels)); });
}

// ---- the autograd functions ----

// y = x fake-quantized on one grid (x dense: contiguous in some layout, as dense() gives).
at::Tensor forward_per_tensor(const at::Tensor& xd, const Grid& g) {
  auto y = at::empty_like(xd);
  const float* xp = xd.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  const bool stream = streams(xd.numel());
  parallel_span(xd.numel(), stream, [&](int64_t i, int64_t n) { forward_row(xp + i, yp + i, n, g, stream); });
  return y;
}

// y = x fake-quantized with channel c along `axis` on its own grid (x contiguous).
at::Tensor forward_per_channel(const at::Tensor& xc, int64_t axis, const Channels& ch) {
  auto y = at::empty_like(xc, at::MemoryFormat::Contiguous);
  const float* xp = xc.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  const bool stream = streams(xc.numel());
  per_channel_rows(channel_shape(xc, axis), ch, stream,
                   [&](int64_t off, int64_t n, const auto& g) { forward_row(xp + off, yp + off, n, g, stream); });
  return y;
}

struct PerTensor : torch::autograd::Function<PerTensor> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, double scale, int64_t zero_point,
                            int64_t quant_min, int64_t quant_max) {
    const auto xd = dense(x);
    const Grid g = grid_of(static_cast<float>(scale), static_cast<float>(zero_point), bounds(quant_min, quant_max));
    const at::Tensor y = forward_per_tensor(xd, g);
    ctx->save_for_backward({xd});
    save_per_tensor(ctx, scale, zero_point, quant_min, quant_max);
    return y;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto x = ctx->get_saved_variables()[0];
    const auto dy = laid_out_as(grads[0], x);
    const Grid g = saved_per_tensor_grid(ctx);
    auto dx = at::empty_like(x);
    const float *xp = x.data_ptr<float>(), *dyp = dy.data_ptr<float>();
    float* dxp = dx.data_ptr<float>();
    const bool stream = streams(x.numel());
    parallel_span(x.numel(), stream,
                  [&](int64_t i, int64_t n) { ste_row(xp + i, dyp + i, dxp + i, n, g, stream); });
    return {dx, {}, {}, {}, {}};
  }
};

struct PerChannel : torch::autograd::Function<PerChannel> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& scale,
                            const at::Tensor& zero_point, int64_t axis, int64_t quant_min, int64_t quant_max) {
    const auto xc = x.contiguous();
    const Channels ch = channels(scale, zero_point, bounds(quant_min, quant_max));
    const at::Tensor y = forward_per_channel(xc, axis, ch);
    ctx->save_for_backward({xc, scale.detach(), zero_point.detach()});
    ctx->saved_data["axis"] = axis;
    save_bounds(ctx, quant_min, quant_max);
    return y;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto dy = grads[0].contiguous();
    const Channels ch = channels(saved[1], saved[2], saved_bounds(ctx));
    auto dx = at::empty_like(x, at::MemoryFormat::Contiguous);
    const float *xp = x.data_ptr<float>(), *dyp = dy.data_ptr<float>();
    float* dxp = dx.data_ptr<float>();
    const bool stream = streams(x.numel());
    const int64_t axis = ctx->saved_data["axis"].toInt();
    per_channel_rows(channel_shape(x, axis), ch, stream, [&](int64_t off, int64_t n, const auto& g) {
      ste_row(xp + off, dyp + off, dxp + off, n, g, stream);
    });
    return {dx, {}, {}, {}, {}, {}};
  }
};

// ATen's LSQ zero points: the forward rounds and clamps; the per-tensor backward
// truncates zero_point + 0.5 after clamping (_get_zero_point_from_tensor).
int64_t lsq_forward_zero_point(const at::Tensor& zero_point, int64_t quant_min, int64_t quant_max) {
  const float z = std::nearbyint(zero_point.item<float>());
  return static_cast<int64_t>(std::min(std::max(z, static_cast<float>(quant_min)), static_cast<float>(quant_max)));
}
int64_t lsq_backward_zero_point(const at::Tensor& zero_point, int64_t quant_min, int64_t quant_max) {
  const float z = zero_point.item<float>() + 0.5f;
  return static_cast<int64_t>(std::min(std::max(z, static_cast<float>(quant_min)), static_cast<float>(quant_max)));
}

struct LearnablePerTensor : torch::autograd::Function<LearnablePerTensor> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& scale,
                            const at::Tensor& zero_point, int64_t quant_min, int64_t quant_max) {
    const auto xd = dense(x);
    const auto zero = static_cast<float>(lsq_forward_zero_point(zero_point, quant_min, quant_max));
    const Grid g = grid_of(scale.item<float>(), zero, bounds(quant_min, quant_max));
    const at::Tensor y = forward_per_tensor(xd, g);
    ctx->save_for_backward({x, xd, scale, zero_point});
    save_bounds(ctx, quant_min, quant_max);
    return y;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &original = saved[0], &x = saved[1], &scale = saved[2];
    const int64_t quant_min = ctx->saved_data["quant_min"].toInt(), quant_max = ctx->saved_data["quant_max"].toInt();
    const auto dy = laid_out_as(grads[0], x);
    const auto zero = static_cast<float>(lsq_backward_zero_point(saved[3], quant_min, quant_max));
    const Bounds b = bounds(quant_min, quant_max);
    const Grid g = grid_of(scale.item<float>(), zero, b);
    const bool want_scale = ctx->needs_input_grad(1);
    auto dx = at::empty_like(x);
    at::Tensor ds = want_scale ? at::empty_like(x) : at::Tensor();
    const float *xp = x.data_ptr<float>(), *dyp = dy.data_ptr<float>();
    float* dxp = dx.data_ptr<float>();
    float* dsp = want_scale ? ds.data_ptr<float>() : nullptr;
    const bool stream = streams(x.numel());
    parallel_span(x.numel(), stream, [&](int64_t i, int64_t n) {
      lsq_row(xp + i, dyp + i, dxp + i, dsp == nullptr ? nullptr : dsp + i, n, g, b, stream);
    });
    at::Tensor dscale;
    if (want_scale) dscale = aten_layout(ds, original).sum().unsqueeze(0).to(scale.options());
    return {dx, dscale, {}, {}, {}};
  }
};

struct LearnablePerChannel : torch::autograd::Function<LearnablePerChannel> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& scale,
                            const at::Tensor& zero_point, int64_t axis, int64_t quant_min, int64_t quant_max) {
    const auto xc = x.contiguous();
    // ATen's _get_rounded_zero_point: round half to even, clamp; the forward then casts to int32.
    const auto zero = zero_point.detach().round().clamp(quant_min, quant_max);
    const Channels ch = channels(scale, zero, bounds(quant_min, quant_max));
    const at::Tensor y = forward_per_channel(xc, axis, ch);
    ctx->save_for_backward({x, xc, scale, zero});
    ctx->saved_data["axis"] = axis;
    save_bounds(ctx, quant_min, quant_max);
    return y;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &original = saved[0], &x = saved[1], &scale = saved[2];
    const int64_t axis = ctx->saved_data["axis"].toInt();
    const auto dy = grads[0].contiguous();
    const Bounds b = saved_bounds(ctx);
    const Channels ch = channels(scale, saved[3], b);
    const bool want_scale = ctx->needs_input_grad(1);
    auto dx = at::empty_like(x, at::MemoryFormat::Contiguous);
    at::Tensor ds = want_scale ? at::empty_like(x, at::MemoryFormat::Contiguous) : at::Tensor();
    const float *xp = x.data_ptr<float>(), *dyp = dy.data_ptr<float>();
    float* dxp = dx.data_ptr<float>();
    float* dsp = want_scale ? ds.data_ptr<float>() : nullptr;
    const bool stream = streams(x.numel());
    per_channel_rows(channel_shape(x, axis), ch, stream, [&](int64_t off, int64_t n, const auto& g) {
      lsq_row(xp + off, dyp + off, dxp + off, dsp == nullptr ? nullptr : dsp + off, n, g, b, stream);
    });
    at::Tensor dscale;
    if (want_scale) {
      std::vector<int64_t> dims;
      for (int64_t d = 0; d < x.dim(); ++d) {
        if (d != axis) dims.push_back(d);
      }
      dscale = aten_layout(ds, original).sum(dims).to(scale.options());
    }
    return {dx, dscale, {}, {}, {}, {}};
  }
};

}  // namespace

// The kernels below are CPU code (AVX2 or scalar lanes). A tensor on another device (a
// CUDA build) takes ATen's own ops, which these are bit-identical to, on that device, and
// so does a grid wider than the kernels' arithmetic is exact for (detail::exact_grid; a
// 16-bit QuantSpec is well inside it) or a zero point outside the grid, which ATen refuses.

at::Tensor fake_quant_per_tensor(const at::Tensor& x, float scale, int64_t zero_point, int64_t quant_min,
                                 int64_t quant_max) {
  check_float(x);
  if (!x.is_cpu() || !detail::exact_grid(quant_min, quant_max, zero_point)) {
    return at::fake_quantize_per_tensor_affine(x, scale, zero_point, quant_min, quant_max);
  }
  return PerTensor::apply(x, static_cast<double>(scale), zero_point, quant_min, quant_max);
}

at::Tensor fake_quant_per_channel(const at::Tensor& x, const at::Tensor& scale, const at::Tensor& zero_point,
                                  int64_t axis, int64_t quant_min, int64_t quant_max) {
  check_float(x);
  if (!x.is_cpu() || !detail::exact_grid(quant_min, quant_max)) {
    return at::fake_quantize_per_channel_affine(x, scale.to(x.device()), zero_point.to(x.device(), at::kInt), axis,
                                                quant_min, quant_max);
  }
  return PerChannel::apply(x, scale, zero_point, axis, quant_min, quant_max);
}

at::Tensor fake_quant_learnable_per_tensor(const at::Tensor& x, const at::Tensor& scale, const at::Tensor& zero_point,
                                           int64_t quant_min, int64_t quant_max) {
  check_float(x);
  if (!x.is_cpu() || !detail::exact_grid(quant_min, quant_max)) {
    return at::_fake_quantize_learnable_per_tensor_affine(x, scale.to(x.device()), zero_point.to(x.device()),
                                                          quant_min, quant_max);
  }
  return LearnablePerTensor::apply(x, scale, zero_point, quant_min, quant_max);
}

at::Tensor fake_quant_learnable_per_channel(const at::Tensor& x, const at::Tensor& scale,
                                            const at::Tensor& zero_point, int64_t axis, int64_t quant_min,
                                            int64_t quant_max) {
  check_float(x);
  if (!x.is_cpu() || !detail::exact_grid(quant_min, quant_max)) {
    return at::_fake_quantize_learnable_per_channel_affine(x, scale.to(x.device()), zero_point.to(x.device()), axis,
                                                           quant_min, quant_max);
  }
  return LearnablePerChannel::apply(x, scale, zero_point, axis, quant_min, quant_max);
}

}  // namespace qat::quant
