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

// One channel's (or the whole tensor's) parameters in the float form ATen computes with.
struct Grid {
  float scale, inv_scale, zero;
};
inline Grid grid_of(float scale, float zero) { return {scale, 1.0f / scale, zero}; }

// ---- scalar lanes ----

// q = zero_point + nearbyint(x * inv_scale), an integer-valued float (or NaN/inf).
inline float grid_value(float x, const Grid& g) { return g.zero + std::nearbyint(x * g.inv_scale); }
inline bool inside(float q, Bounds b) { return q >= b.qmin && q <= b.qmax; }

// (clamp(int64(q), quant_min, quant_max) - zero_point) * scale.
inline float dequantized(float q, const Grid& g, Bounds b) {
  float c = q >= b.qmin && q < kInt64Overflow ? q : b.qmin;  // NaN and int64 overflow give quant_min
  c = c <= b.qmax ? c : b.qmax;
  return (c - g.zero) * g.scale;
}

inline float forward_lane(float x, const Grid& g, Bounds b) { return dequantized(grid_value(x, g), g, b); }

inline float ste_lane(float x, float dy, const Grid& g, Bounds b) {
  return dy * (inside(grid_value(x, g), b) ? 1.0f : 0.0f);
}

// ---- AVX2 lanes: the same operations eight at a time ----

struct VGrid {
  __m256 scale, inv_scale, zero;
};
QAT_AVX2 inline VGrid vec_grid(const Grid& g) {
  return {_mm256_set1_ps(g.scale), _mm256_set1_ps(g.inv_scale), _mm256_set1_ps(g.zero)};
}

struct VBounds {
  __m256 qmin, qmax, overflow;
};
QAT_AVX2 inline VBounds vec_bounds(Bounds b) {
  return {_mm256_set1_ps(b.qmin), _mm256_set1_ps(b.qmax), _mm256_set1_ps(kInt64Overflow)};
}

constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;  // nearbyint: half to even

QAT_AVX2 inline __m256 vec_grid_value(__m256 x, const VGrid& g) {
  return _mm256_add_ps(g.zero, _mm256_round_ps(_mm256_mul_ps(x, g.inv_scale), kRound));
}
QAT_AVX2 inline __m256 vec_inside(__m256 q, const VBounds& b) {
  return _mm256_and_ps(_mm256_cmp_ps(q, b.qmin, _CMP_GE_OQ), _mm256_cmp_ps(q, b.qmax, _CMP_LE_OQ));
}
QAT_AVX2 inline __m256 vec_dequantized(__m256 q, const VGrid& g, const VBounds& b) {
  // max_ps returns its second operand for NaN: quant_min, as ATen's int64 cast does.
  __m256 c = _mm256_min_ps(_mm256_max_ps(q, b.qmin), b.qmax);
  c = _mm256_blendv_ps(c, b.qmin, _mm256_cmp_ps(q, b.overflow, _CMP_GE_OQ));
  return _mm256_mul_ps(_mm256_sub_ps(c, g.zero), g.scale);
}
QAT_AVX2 inline __m256 vec_forward(__m256 x, const VGrid& g, const VBounds& b) {
  return vec_dequantized(vec_grid_value(x, g), g, b);
}
// dy where x is representable, else 0 (a signed zero, as ATen's dy * mask).
QAT_AVX2 inline __m256 vec_ste(__m256 x, __m256 dy, const VGrid& g, const VBounds& b) {
  return _mm256_mul_ps(dy, _mm256_and_ps(vec_inside(vec_grid_value(x, g), b), _mm256_set1_ps(1.0f)));
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
