// Compiled with OpenMP, so that at::parallel_for splits the copy (bench/CMakeLists.txt).
#include "streaming_copy.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <immintrin.h>

#include <cstdint>

namespace {

// Scalar up to the first 32-byte-aligned output, streaming stores, a scalar tail.
__attribute__((target("avx2"))) void copy_span(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i < n && (reinterpret_cast<uintptr_t>(y + i) & 31) != 0; ++i) y[i] = x[i];
  for (; i + 8 <= n; i += 8) _mm256_stream_ps(y + i, _mm256_loadu_ps(x + i));
  for (; i < n; ++i) y[i] = x[i];
  _mm_sfence();
}

}  // namespace

at::Tensor streaming_copy(const at::Tensor& x) {
  TORCH_CHECK(x.is_contiguous() && x.scalar_type() == at::kFloat, "streaming_copy: a contiguous float tensor");
  auto y = at::empty_like(x);
  const float* xp = x.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  at::parallel_for(0, x.numel(), at::internal::GRAIN_SIZE,
                   [&](int64_t begin, int64_t end) { copy_span(xp + begin, yp + begin, end - begin); });
  return y;
}
