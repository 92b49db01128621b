#include "qat/quant/silu_fake_quant.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <vector>

#include "fake_quant_lanes.h"
#include "fake_quant_saved.h"
#include "qat/quant/fake_quant_kernels.h"

// ATen's vectorized kernels are GCC builds for AVX2 (or AVX-512) with FMA and GCC's
// default contraction, which turns the gradient's 1 + x * (1 - sigmoid) into one
// fused multiply-add, in the vector lanes and the scalar tail alike; its DEFAULT
// kernels have no FMA to contract to. The fused multiply-add is written out below, and
// no other expression here has a product feeding a sum, so the contraction setting of
// this file changes nothing.

// Sleef's exp of eight floats, which ATen's Vectorized<float>::exp calls in its AVX2
// kernels (its AVX-512 ones call Sleef_expf16_u10, lane for lane the same values).
// Declared here because <sleef.h> declares its vector functions only for a file
// compiled for AVX as a whole.
extern "C" QAT_AVX2 __m256 Sleef_expf8_u10(__m256);

namespace qat::quant {
namespace {

using namespace detail;
using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// ---- ATen's SiLU, one lane at a time (the scalar tail of a chunk) ----

inline float silu_lane(float x) { return x / (1.0f + std::exp(-x)); }

// dy * sigmoid * (1 + x * (1 - sigmoid)), with the sigmoid of e = exp(-x); `fma`: the
// vector kernels' tail, else the DEFAULT kernels' (called only where no FMA exists to
// contract to, so the separate multiply and add stay separate).
inline float silu_grad_lane(float x, float e, float dy, bool fma) {
  const float s = 1.0f / (1.0f + e);
  const float t = fma ? std::fma(x, 1.0f - s, 1.0f) : 1.0f + x * (1.0f - s);
  return dy * s * t;
}

// One element of the fused kernel's backward: silu'(x) times the STE of dz at silu(x).
inline float silu_fq_grad_lane(float x, float dz, const Grid& g, bool fma) {
  const float e = std::exp(-x);
  return silu_grad_lane(x, e, ste_lane(x / (1.0f + e), dz, g), fma);
}

// ---- the same, eight AVX2 lanes at a time (the vector part of a chunk) ----

QAT_AVX2 inline __m256 vec_exp_neg(__m256 x) { return Sleef_expf8_u10(_mm256_xor_ps(x, _mm256_set1_ps(-0.0f))); }

QAT_AVX2 inline __m256 vec_silu(__m256 x, __m256 e) { return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e)); }

QAT_AVX2 inline __m256 vec_silu_grad(__m256 x, __m256 e, __m256 dy) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, e));
  return _mm256_mul_ps(_mm256_mul_ps(dy, s), _mm256_fmadd_ps(x, _mm256_sub_ps(one, s), one));
}

// ---- one parallel chunk: elements [0, vector_end) in vector lanes, the rest scalar ----
// Which elements take the vector lanes is ATen's (their SiLU differs from the scalar
// tail's), so a chunk cannot start with a scalar head up to an aligned output: it uses
// streaming stores (fake_quant_lanes.h) only if its output starts aligned.

template <bool Stream>
QAT_AVX2 void forward_chunk_avx2(const float* x, float* z, int64_t n, int64_t vector_end, const Grid& g) {
  const VGrid vg = vec_grid(g);
  int64_t i = 0;
  for (; i < vector_end; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    store8<Stream>(z + i, vec_forward(vec_silu(v, vec_exp_neg(v)), vg));
  }
  for (; i < n; ++i) z[i] = forward_lane(silu_lane(x[i]), g);
}

// dx = silu'(x) * STE(dz), the STE mask taken from silu(x) recomputed as the forward did.
template <bool Stream>
QAT_AVX2 void backward_chunk_avx2(const float* x, const float* dz, float* dx, int64_t n, int64_t vector_end,
                                  const Grid& g) {
  const VGrid vg = vec_grid(g);
  int64_t i = 0;
  for (; i < vector_end; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i), e = vec_exp_neg(v);
    const __m256 dy = vec_ste(vec_silu(v, e), _mm256_loadu_ps(dz + i), vg);
    store8<Stream>(dx + i, vec_silu_grad(v, e, dy));
  }
  for (; i < n; ++i) dx[i] = silu_fq_grad_lane(x[i], dz[i], g, true);
}

// The scalar lanes alone: ATen's DEFAULT kernels, or a CPU without AVX2.
void forward_chunk_scalar(const float* x, float* z, int64_t n, const Grid& g) {
  for (int64_t i = 0; i < n; ++i) z[i] = forward_lane(silu_lane(x[i]), g);
}
void backward_chunk_scalar(const float* x, const float* dz, float* dx, int64_t n, const Grid& g) {
  for (int64_t i = 0; i < n; ++i) dx[i] = silu_fq_grad_lane(x[i], dz[i], g, false);
}

// Runs f(begin, length, vector_end) over the chunks ATen's TensorIterator gives a
// contiguous tensor of n elements (at::parallel_for with its grain), vector_end being
// where that chunk's scalar tail starts in ATen's vectorized loop. `stream`: f may
// write with streaming stores, fenced once per chunk.
template <class F>
void aten_chunks(int64_t n, const AtenSiluForm& form, bool stream, const F& f) {
  at::parallel_for(0, n, at::internal::GRAIN_SIZE, [&](int64_t begin, int64_t end) {
    const int64_t len = end - begin;
    f(begin, len, form.vector_block == 0 ? 0 : len / form.vector_block * form.vector_block);
    fence_streaming_stores(stream);
  });
}

// Streaming stores for a chunk writing to `out`: the whole output large enough, the chunk's start aligned.
bool chunk_streams(bool stream, const float* out) { return stream && stream_aligned(out); }

struct SiluFakeQuant : torch::autograd::Function<SiluFakeQuant> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, double scale, int64_t zero_point,
                            int64_t quant_min, int64_t quant_max) {
    const AtenSiluForm form = *aten_silu_form();
    const Grid g = grid_of(static_cast<float>(scale), static_cast<float>(zero_point), bounds(quant_min, quant_max));
    auto z = at::empty_like(x);
    const float* xp = x.data_ptr<float>();
    float* zp = z.data_ptr<float>();
    const bool stream = streams(x.numel());
    aten_chunks(x.numel(), form, stream, [&](int64_t i, int64_t n, int64_t vector_end) {
      if (vector_end == 0) return forward_chunk_scalar(xp + i, zp + i, n, g);
      if (chunk_streams(stream, zp + i)) return forward_chunk_avx2<true>(xp + i, zp + i, n, vector_end, g);
      forward_chunk_avx2<false>(xp + i, zp + i, n, vector_end, g);
    });
    ctx->save_for_backward({x});
    save_per_tensor(ctx, scale, zero_point, quant_min, quant_max);
    return z;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const AtenSiluForm form = *aten_silu_form();
    const auto x = ctx->get_saved_variables()[0];
    const auto dz = grads[0].contiguous();
    const Grid g = saved_per_tensor_grid(ctx);
    auto dx = at::empty_like(x);
    const float *xp = x.data_ptr<float>(), *dzp = dz.data_ptr<float>();
    float* dxp = dx.data_ptr<float>();
    const bool stream = streams(x.numel());
    aten_chunks(x.numel(), form, stream, [&](int64_t i, int64_t n, int64_t vector_end) {
      if (vector_end == 0) return backward_chunk_scalar(xp + i, dzp + i, dxp + i, n, g);
      if (chunk_streams(stream, dxp + i)) {
        return backward_chunk_avx2<true>(xp + i, dzp + i, dxp + i, n, vector_end, g);
      }
      backward_chunk_avx2<false>(xp + i, dzp + i, dxp + i, n, vector_end, g);
    });
    return {dx, {}, {}, {}, {}};
  }
};

// ---- finding ATen's form ----

// The probe's length: AVX2 kernels (blocks of 16) take all 48 in vector lanes, AVX-512
// ones (blocks of 32) leave 16 to the scalar tail, DEFAULT ones take all 48 scalar.
constexpr int64_t kProbe = 48;

QAT_AVX2 float vec_silu_one(float x) {
  const __m256 v = _mm256_set1_ps(x);
  return _mm256_cvtss_f32(vec_silu(v, vec_exp_neg(v)));
}
QAT_AVX2 float vec_silu_grad_one(float x, float dy) {
  const __m256 v = _mm256_set1_ps(x);
  return _mm256_cvtss_f32(vec_silu_grad(v, vec_exp_neg(v), _mm256_set1_ps(dy)));
}
float silu_grad_one(float x, float dy, bool fma) { return silu_grad_lane(x, std::exp(-x), dy, fma); }

constexpr float kProbeGrad = 1.5f;

// The first float from -3 up for which `differs` holds (a few hundred steps at most for
// the conditions below, which hold for about 1% and 10% of floats).
template <class P>
std::optional<float> first_float(const P& differs) {
  float x = -3.0f;
  for (int i = 0; i < 1000000; ++i, x = std::nextafter(x, 3.0f)) {
    if (differs(x)) return x;
  }
  return std::nullopt;
}

// Probe inputs on which every candidate form gives other bits than the others and than
// kernels without the fused multiply-add: values whose SiLU differs between Sleef's exp
// and glibc's (the tail's start), alternating with values whose gradient differs with
// and without the fused multiply-add while both exps agree (the contraction, in vector
// lanes and tail alike).
std::vector<float> probe_values() {
  const auto grad = first_float([](float x) {
    return silu_grad_one(x, kProbeGrad, true) != silu_grad_one(x, kProbeGrad, false) &&
           (!has_avx2() || vec_silu_grad_one(x, kProbeGrad) == silu_grad_one(x, kProbeGrad, true));
  });
  if (!grad) return {};
  std::vector<float> values(kProbe, *grad);
  if (!has_avx2()) return values;  // only the DEFAULT form is a candidate
  const auto forward = first_float([](float x) { return vec_silu_one(x) != silu_lane(x); });
  if (!forward) return {};
  for (int64_t i = 0; i < kProbe; ++i) values[static_cast<size_t>(i)] = i % 2 == 0 ? *forward : *grad;
  return values;
}

bool matches(const AtenSiluForm& form, const std::vector<float>& x, const float* silu, const float* grad) {
  const int64_t vector_end = form.vector_block == 0 ? 0 : kProbe / form.vector_block * form.vector_block;
  for (int64_t i = 0; i < kProbe; ++i) {
    const float v = x[static_cast<size_t>(i)];
    const bool vec = i < vector_end;
    const float y = vec ? vec_silu_one(v) : silu_lane(v);
    const float g = vec ? vec_silu_grad_one(v, kProbeGrad) : silu_grad_one(v, kProbeGrad, form.vector_block > 0);
    if (y != silu[i] || g != grad[i]) return false;
  }
  return true;
}

std::optional<AtenSiluForm> probe_aten_silu() {
  const std::vector<float> values = probe_values();
  if (values.empty()) return std::nullopt;
  at::NoGradGuard no_grad;
  const auto x = at::tensor(values);  // fewer elements than a grain: one chunk
  const auto silu = at::silu(x).contiguous();
  const auto grad = at::silu_backward(at::full_like(x, kProbeGrad), x).contiguous();
  std::vector<AtenSiluForm> candidates = {{0}};
  if (has_avx2()) candidates = {{16}, {32}, {0}};
  for (const auto& form : candidates) {
    if (matches(form, values, silu.data_ptr<float>(), grad.data_ptr<float>())) return form;
  }
  return std::nullopt;
}

}  // namespace

std::optional<AtenSiluForm> aten_silu_form() {
  static const std::optional<AtenSiluForm> form = probe_aten_silu();
  return form;
}

at::Tensor silu_fake_quant_per_tensor(const at::Tensor& x, float scale, int64_t zero_point, int64_t quant_min,
                                      int64_t quant_max) {
  if (!x.is_cpu() || !x.is_contiguous() || x.scalar_type() != at::kFloat || !aten_silu_form() ||
      !exact_grid(quant_min, quant_max, zero_point)) {
    return fake_quant_per_tensor(at::silu(x), scale, zero_point, quant_min, quant_max);
  }
  return SiluFakeQuant::apply(x, static_cast<double>(scale), zero_point, quant_min, quant_max);
}

}  // namespace qat::quant
