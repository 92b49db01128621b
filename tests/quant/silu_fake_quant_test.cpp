// The fused SiLU + fake quantization against the two ops it replaces, at::silu then
// fake_quant_per_tensor: forward values and gradients bit for bit, on inputs whose
// SiLU differs between ATen's vector lanes (Sleef's exp) and its scalar tail (glibc's),
// so that a tail placed one element off shows, at one and two threads.
#include "qat/quant/silu_fake_quant.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/function.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "qat/quant/fake_quant_kernels.h"
#include "support/test_support.h"

namespace qat::quant {
namespace {

using qat::testing::same_bits;

// Floats in [-6, 6) whose at::silu (computed in vector lanes: the first 16 of every
// block) differs from the scalar expression of ATen's tail, x / (1 + expf(-x)).
std::vector<float> tail_sensitive_values() {
  const auto x = at::arange(-6.0, 6.0, 1.0 / 4096, at::kFloat);
  const auto vector_silu = at::silu(x).contiguous();
  std::vector<float> out;
  const float* xp = x.data_ptr<float>();
  const float* yp = vector_silu.data_ptr<float>();
  const int64_t vector_part = x.numel() / 32 * 32;  // the tail of the chunk(s) excluded
  for (int64_t i = 0; i < vector_part; ++i) {
    if (yp[i] != xp[i] / (1.0f + std::exp(-xp[i]))) out.push_back(xp[i]);
  }
  return out;
}

// n values cycling through the tail-sensitive ones, with signed zeros, infinities, NaN
// and values that saturate the grid mixed in.
at::Tensor probe_input(int64_t n) {
  static const std::vector<float> sensitive = [] {
    auto v = tail_sensitive_values();
    if (v.empty()) v = {-2.5f, -0.75f, 0.5f, 3.25f};  // ATen's DEFAULT kernels: no vector lanes
    return v;
  }();
  const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 90.0f, -90.0f, 1e30f};
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<size_t>(i);
    v[k] = i % 101 == 100 ? special[(i / 101) % 8] : sensitive[k % sensitive.size()];
  }
  return at::tensor(v);
}

struct Result {
  at::Tensor y, dx;
  std::string grad_fn;
};

template <class F>
Result run(const at::Tensor& input, const F& f) {
  const auto x = input.detach().requires_grad_(true);
  const auto y = f(x);
  at::manual_seed(7);
  y.backward(at::randn(y.sizes()));  // negative entries: the masked gradient's signed zeros are compared
  return {y.detach(), x.grad(), y.grad_fn()->name()};
}

void expect_matches(const at::Tensor& x, float scale, int64_t zero_point, int64_t qmin, int64_t qmax) {
  const auto fused =
      run(x, [&](const at::Tensor& t) { return silu_fake_quant_per_tensor(t, scale, zero_point, qmin, qmax); });
  const auto two_ops =
      run(x, [&](const at::Tensor& t) { return fake_quant_per_tensor(at::silu(t), scale, zero_point, qmin, qmax); });
  EXPECT_TRUE(same_bits(fused.y, two_ops.y)) << "forward, " << x.numel() << " elements, " << at::get_num_threads()
                                             << " threads, scale " << scale << " zero point " << zero_point;
  EXPECT_TRUE(same_bits(fused.dx, two_ops.dx)) << "gradient, " << x.numel() << " elements, " << at::get_num_threads()
                                               << " threads, scale " << scale << " zero point " << zero_point;
}

}  // namespace

TEST(SiluFakeQuant, TheProbeFindsTheFormOfThisLibtorch) {
  const auto form = aten_silu_form();
  ASSERT_TRUE(form.has_value());
  // libtorch 1.13 dispatches to its AVX2 kernels on any AVX2 CPU unless told otherwise
  // (its AVX-512 ones are opt-in): blocks of 2 x 8 lanes.
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (std::getenv("ATEN_CPU_CAPABILITY") == nullptr && avx2) {
    EXPECT_EQ(form->vector_block, 16);
  }
}

TEST(SiluFakeQuant, TheProbeInputsTellTheTailFromTheVectorPart) {
  // Without such values the equality below would hold for a misplaced tail too.
  const auto form = aten_silu_form();
  ASSERT_TRUE(form.has_value());
  if (form->vector_block == 0) GTEST_SKIP() << "ATen's SiLU has no vector lanes here";
  EXPECT_GT(tail_sensitive_values().size(), 100u);
}

TEST(SiluFakeQuant, MatchesSiluThenFakeQuantBitForBitAtOneAndTwoThreads) {
  for (const int threads : {1, 2}) {
    const qat::testing::ScopedThreads guard(threads);
    // Within one chunk, around the 16 and 32 blocks, and past one grain (32768): two chunks
    // whose first one ends in a tail.
    for (const int64_t n : {int64_t{1}, int64_t{15}, int64_t{47}, int64_t{1001}, int64_t{32768 * 3 + 45}}) {
      const auto x = probe_input(n);
      expect_matches(x, 0.05f, 0, -128, 127);
      expect_matches(x, 0.0173f, 37, 0, 255);
      expect_matches(x, 1.0f / 3.0f, -5, -128, 127);
    }
  }
}

TEST(SiluFakeQuant, StreamingStoresGiveTheSameBits) {
  // Above the streaming size: at two threads the second chunk of the odd size starts off
  // the alignment of a streaming store (and writes through the cache), of the even size on it.
  const int64_t streaming = kStreamingStoreBytes / 4;
  for (const int threads : {1, 2}) {
    const qat::testing::ScopedThreads guard(threads);
    for (const int64_t n : {streaming + 45, streaming + 32768 * 2}) expect_matches(probe_input(n), 0.05f, 0, -128, 127);
  }
}

TEST(SiluFakeQuant, FusedOnContiguousCpuTensorsTwoOpsOtherwise) {
  const auto x = probe_input(2 * 3 * 17 * 19).reshape({2, 3, 17, 19});
  auto fused = run(x, [](const at::Tensor& t) { return silu_fake_quant_per_tensor(t, 0.05f, 3, -128, 127); });
  EXPECT_NE(fused.grad_fn.find("SiluFakeQuant"), std::string::npos) << fused.grad_fn;
  // Permuted (dense but not contiguous): at::silu, then the per-tensor kernel.
  const auto permuted = x.transpose(1, 3);
  const auto two =
      run(permuted, [](const at::Tensor& t) { return silu_fake_quant_per_tensor(t, 0.05f, 3, -128, 127); });
  EXPECT_EQ(two.grad_fn.find("SiluFakeQuant"), std::string::npos) << two.grad_fn;
  expect_matches(permuted, 0.05f, 3, -128, 127);
}

TEST(SiluFakeQuant, GoldenValues) {
  // silu(2) = 1.7616, silu(-1) = -0.2689, silu(0) = 0; on scale 0.25 those are 7.05 →
  // 7, -1.076 → -1, 0 → 0 steps; silu(100) = 100 saturates at 127 steps.
  const auto y = silu_fake_quant_per_tensor(at::tensor({2.0f, -1.0f, 0.0f, 100.0f}), 0.25f, 0, -128, 127);
  const auto c = y.contiguous();
  EXPECT_EQ(std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + 4),
            (std::vector<float>{1.75f, -0.25f, 0.0f, 31.75f}));
}

}  // namespace qat::quant
