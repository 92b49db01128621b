// The per-element arithmetic of ATen's fake quantization (QuantizedOpKernels.cpp) in
// float form, one lane at a time and eight AVX2 lanes at a time, shared by the kernels
// that fake-quantize a tensor (fake_quant_kernels.cpp) and the one that fake-quantizes
// a SiLU on its way (silu_fake_quant.cpp). ATen's expressions are matched operation by
// operation. ATen's kernels are GCC builds with GCC's default contraction, so in its
// AVX2 kernels a product feeding a sum is one fused multiply-add (the LSQ backward's
// zero_point + x * inv_scale); these files are compiled the same way and contract the
// same expressions, which the bit-identity tests check.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "qat/quant/fake_quant_kernels.h"

#define QAT_AVX2 __attribute__((target("avx2,fma")))

namespace qat::quant::detail {

// float(int64) of 2^63: ATen casts q to int64_t, and x86 turns every float at or
// beyond 2^63 (and NaN) into INT64_MIN, i.e. below quant_min.
constexpr float kInt64Overflow = 9223372036854775808.0f;

inline bool has_avx2() {
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return avx2;
}

struct Bounds {
  float qmin, qmax;
};

inline Bounds bounds(int64_t quant_min, int64_t quant_max) {
  return {static_cast<float>(quant_min), static_cast<float>(quant_max)};
}

// A grid within kExactGridMagnitude either side of zero, its zero point inside it (the
// kernels check that as ATen does): the arithmetic below is exact for it (see Grid); a
// wider grid takes ATen's op.
constexpr int64_t kExactGridMagnitude = int64_t{1} << 21;
inline bool exact_grid(int64_t quant_min, int64_t quant_max) {
  return -kExactGridMagnitude <= quant_min && quant_max <= kExactGridMagnitude;
}
// The same for one zero point, which must lie inside the grid (ATen's op refuses it otherwise).
inline bool exact_grid(int64_t quant_min, int64_t quant_max, int64_t zero_point) {
  return exact_grid(quant_min, quant_max) && quant_min <= zero_point && zero_point <= quant_max;
}

// One channel's (or the whole tensor's) parameters in the float form ATen computes with,
// and its bounds relative to the zero point. ATen's q = zero_point + nearbyint(x *
// inv_scale) is clamped to [quant_min, quant_max] and the zero point taken off again;
// r = nearbyint(x * inv_scale) clamped to [lo, hi] = [quant_min, quant_max] - zero_point
// is the same integer, two operations fewer per element. (On a grid within
// kExactGridMagnitude, zero_point + r is exact wherever it can land inside the grid, and
// beyond 2^23 both lie outside on the same side.) Whether r lies in [lo, hi], the
// straight-through mask, is whether t = x * inv_scale lies in [t_lo, t_hi], the extreme
// floats that round into it (half to even), which saves the rounding too.
struct Grid {
  float scale, inv_scale, zero;
  float lo, hi;
  float t_lo, t_hi;
};

// The least float that rounds (half to even) to k or above: k - 1/2 if k is even, else just above it.
inline float least_rounding_to(float k) {
  const float half = k - 0.5f;
  return std::fmod(k, 2.0f) == 0.0f ? half : std::nextafter(half, INFINITY);
}
// The greatest float that rounds to k or below: k + 1/2 if k is even, else just below it.
inline float greatest_rounding_to(float k) {
  const float half = k + 0.5f;
  return std::fmod(k, 2.0f) == 0.0f ? half : std::nextafter(half, -INFINITY);
}

inline Grid grid_of(float scale, float zero, Bounds b) {
  const float lo = b.qmin - zero, hi = b.qmax - zero;
  return {scale, 1.0f / scale, zero, lo, hi, least_rounding_to(lo), greatest_rounding_to(hi)};
}

// ---- scalar lanes ----

// ATen's (clamp(int64(q), quant_min, quant_max) - zero_point) * scale, as r clamped to
// [lo, hi] times scale. NaN and int64 overflow give quant_min: round(t) reaches 2^63
// exactly when t does (floats that large are integers). r is -0 where t rounds to zero
// from below, while ATen's integer difference is +0: adding +0 to the product turns -0
// into +0 and leaves every other value as it is, fused with the product or not.
inline float forward_lane(float x, const Grid& g) {
  const float t = x * g.inv_scale;
  const float r = std::nearbyint(t);
  float c = r >= g.lo && t < kInt64Overflow ? r : g.lo;
  c = c <= g.hi ? c : g.hi;
  return c * g.scale + 0.0f;
}

// dy where q is inside the grid, else 0 (a signed zero, as ATen's dy * mask).
inline float ste_lane(float x, float dy, const Grid& g) {
  const float t = x * g.inv_scale;
  return dy * (t >= g.t_lo && t <= g.t_hi ? 1.0f : 0.0f);
}

// q for the LSQ backward, which rounds zero_point + x * inv_scale as a whole, against
// quant_min and quant_max.
inline bool inside(float q, Bounds b) { return q >= b.qmin && q <= b.qmax; }

// ---- AVX2 lanes: the same operations eight at a time ----

struct VGrid {
  __m256 scale, inv_scale, zero, lo, hi, t_lo, t_hi;
};
QAT_AVX2 inline VGrid vec_grid(const Grid& g) {
  return {_mm256_set1_ps(g.scale), _mm256_set1_ps(g.inv_scale), _mm256_set1_ps(g.zero), _mm256_set1_ps(g.lo),
          _mm256_set1_ps(g.hi),    _mm256_set1_ps(g.t_lo),      _mm256_set1_ps(g.t_hi)};
}

struct VBounds {
  __m256 qmin, qmax, overflow;
};
QAT_AVX2 inline VBounds vec_bounds(Bounds b) {
  return {_mm256_set1_ps(b.qmin), _mm256_set1_ps(b.qmax), _mm256_set1_ps(kInt64Overflow)};
}

constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;  // nearbyint: half to even

QAT_AVX2 inline __m256 vec_inside(__m256 q, const VBounds& b) {
  return _mm256_and_ps(_mm256_cmp_ps(q, b.qmin, _CMP_GE_OQ), _mm256_cmp_ps(q, b.qmax, _CMP_LE_OQ));
}
QAT_AVX2 inline __m256 vec_forward(__m256 x, const VGrid& g) {
  const __m256 t = _mm256_mul_ps(x, g.inv_scale);
  // max_ps returns its second operand for NaN: lo, as ATen's int64 cast gives quant_min.
  __m256 c = _mm256_min_ps(_mm256_max_ps(_mm256_round_ps(t, kRound), g.lo), g.hi);
  c = _mm256_blendv_ps(c, g.lo, _mm256_cmp_ps(t, _mm256_set1_ps(kInt64Overflow), _CMP_GE_OQ));
  return _mm256_fmadd_ps(c, g.scale, _mm256_setzero_ps());  // + 0: -0 becomes +0 (see forward_lane)
}
QAT_AVX2 inline __m256 vec_ste(__m256 x, __m256 dy, const VGrid& g) {
  const __m256 t = _mm256_mul_ps(x, g.inv_scale);
  const __m256 in = _mm256_and_ps(_mm256_cmp_ps(t, g.t_lo, _CMP_GE_OQ), _mm256_cmp_ps(t, g.t_hi, _CMP_LE_OQ));
  return _mm256_mul_ps(dy, _mm256_and_ps(in, _mm256_set1_ps(1.0f)));
}

// ---- stores ----

// An output at least this large is written with streaming (non-temporal) stores, which
// go to memory around the caches: a store through the cache first reads the line it
// writes (so a pass reading x and writing y moves three tensors, not two) and then
// evicts the pass's inputs, while an output this large is not read back from the cache
// anyway (it is beyond any core's L2, and its consumer runs after the rest of the pass
// has gone through the L3). The size, kStreamingStoreBytes (qat/quant/fake_quant_kernels.h),
// is a quarter of the 32 MiB L3 a core of our EPYC machines shares, the fraction glibc's
// memcpy streams above since 2.38. It is fixed, not the L3 the OS reports: a virtual
// machine reports the host's (320 MiB on ours).

inline bool streams(int64_t numel) { return numel * static_cast<int64_t>(sizeof(float)) >= kStreamingStoreBytes; }

// Whether p is aligned for a streaming store (32 bytes).
inline bool stream_aligned(const float* p) { return (reinterpret_cast<uintptr_t>(p) & 31) == 0; }

// Elements before p + i is aligned for a streaming store, at most n.
inline int64_t to_aligned(const float* p, int64_t n) {
  const auto bytes = (32 - (reinterpret_cast<uintptr_t>(p) & 31)) & 31;
  return std::min<int64_t>(n, static_cast<int64_t>(bytes / sizeof(float)));
}

// Eight lanes to p: through the cache, or (Stream, p 32-byte aligned) around it.
template <bool Stream>
QAT_AVX2 inline void store8(float* p, __m256 v) {
  if constexpr (Stream) {
    _mm256_stream_ps(p, v);
  } else {
    _mm256_storeu_ps(p, v);
  }
}

// Streaming stores are weakly ordered: each thread fences its own at the end of its
// chunk, before the chunk is reported done.
inline void fence_streaming_stores(bool stream) {
  if (stream) _mm_sfence();
}

}  // namespace qat::quant::detail
