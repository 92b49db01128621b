// qat's fake-quant kernels against ATen's ops, the reference: forward values and
// gradients compared bit for bit (signed zeros and NaN included) on odd sizes,
// several threads' worth of elements, non-contiguous inputs, saturation and ties.
#include "qat/quant/fake_quant_kernels.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "qat/quant/silu_fake_quant.h"
#include "support/test_support.h"

namespace qat::quant {
namespace {

using qat::testing::same_bits;

struct Grid {
  int64_t quant_min, quant_max;
};
constexpr Grid kInt8{-128, 127};
constexpr Grid kUint8{0, 255};
constexpr Grid kNarrowInt8{-127, 127};

// Values that exercise the rounding: exact half-integers of the grid, their float
// neighbours (where x * (1/scale) and x / scale may round apart), saturation far
// beyond the grid, infinities, NaN, signed zeros, and plain normal noise.
at::Tensor hard_values(at::IntArrayRef shape, float scale, uint64_t seed) {
  at::manual_seed(seed);
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;
  auto x = (at::randn({n}) * (60 * scale)).contiguous();
  const auto k = at::randint(-300, 300, {n}).to(at::kFloat);
  const auto kind = at::randint(0, 8, {n});
  float* xp = x.data_ptr<float>();
  const float* kp = k.data_ptr<float>();
  const int64_t* kindp = kind.data_ptr<int64_t>();
  const float special[] = {INFINITY, -INFINITY, NAN, 0.0f, -0.0f, 1e30f, -1e30f, 3e38f};
  for (int64_t i = 0; i < n; ++i) {
    const float tie = (kp[i] + 0.5f) * scale;
    switch (kindp[i]) {
      case 0: xp[i] = tie; break;
      case 1: xp[i] = std::nextafter(tie, INFINITY); break;
      case 2: xp[i] = std::nextafter(tie, -INFINITY); break;
      case 3: xp[i] = kp[i] * scale; break;
      case 4: xp[i] = (i % 97 == 0) ? special[(i / 97) % 8] : xp[i]; break;
      default: break;
    }
  }
  return x.reshape(shape);
}

at::Tensor per_tensor_reference(const at::Tensor& x, float scale, int64_t zero_point, Grid grid) {
  return at::fake_quantize_per_tensor_affine(x, at::tensor({scale}), at::tensor({static_cast<int>(zero_point)}, at::kInt),
                                             grid.quant_min, grid.quant_max);
}

struct Result {
  at::Tensor y, dx, dscale;
};

// Runs f(x) forward and backward with a fixed random upstream gradient (negative
// entries included, so that a masked gradient's sign of zero is compared too).
template <class F>
Result run(const at::Tensor& input, const at::Tensor& scale, const F& f) {
  // detach() keeps the input's strides, so that non-contiguous cases stay so.
  const auto x = input.detach().requires_grad_(true);
  const auto y = f(x);
  at::manual_seed(7);
  const auto dy = at::randn(y.sizes());
  y.backward(dy);
  Result r{y.detach(), x.grad(), scale.defined() && scale.grad().defined() ? scale.grad().clone() : at::Tensor()};
  if (scale.defined() && scale.grad().defined()) scale.grad().zero_();
  return r;
}

void expect_per_tensor_matches(const at::Tensor& x, float scale, int64_t zero_point, Grid grid) {
  const auto ours = run(x, {}, [&](const at::Tensor& t) {
    return fake_quant_per_tensor(t, scale, zero_point, grid.quant_min, grid.quant_max);
  });
  const auto aten = run(x, {}, [&](const at::Tensor& t) { return per_tensor_reference(t, scale, zero_point, grid); });
  EXPECT_TRUE(same_bits(ours.y, aten.y)) << "forward, scale " << scale << " zero point " << zero_point;
  EXPECT_TRUE(same_bits(ours.dx, aten.dx)) << "gradient, scale " << scale << " zero point " << zero_point;
}

void expect_per_channel_matches(const at::Tensor& x, int64_t axis, const at::Tensor& scale,
                                const at::Tensor& zero_point, Grid grid) {
  const auto ours = run(x, {}, [&](const at::Tensor& t) {
    return fake_quant_per_channel(t, scale, zero_point, axis, grid.quant_min, grid.quant_max);
  });
  const auto aten = run(x, {}, [&](const at::Tensor& t) {
    return at::fake_quantize_per_channel_affine(t, scale, zero_point, axis, grid.quant_min, grid.quant_max);
  });
  EXPECT_TRUE(same_bits(ours.y, aten.y)) << "forward, axis " << axis;
  EXPECT_TRUE(same_bits(ours.dx, aten.dx)) << "gradient, axis " << axis;
}

// Random scales and (with_zero_points) zero points per channel.
void expect_per_channel_matches(const at::Tensor& x, int64_t axis, Grid grid, bool with_zero_points) {
  const int64_t c = x.size(axis);
  at::manual_seed(3);
  const auto scale = (at::rand({c}) * 0.05 + 0.001).to(at::kFloat);
  const auto zero_point =
      with_zero_points ? at::randint(grid.quant_min, grid.quant_max + 1, {c}).to(at::kInt) : at::zeros({c}, at::kInt);
  expect_per_channel_matches(x, axis, scale, zero_point, grid);
}

void expect_learnable_per_tensor_matches(const at::Tensor& x, float scale, float zero_point, Grid grid) {
  const auto s = at::tensor({scale}).requires_grad_(true);
  const auto z = at::tensor({zero_point});
  const auto ours = run(x, s, [&](const at::Tensor& t) {
    return fake_quant_learnable_per_tensor(t, s, z, grid.quant_min, grid.quant_max);
  });
  const auto aten = run(x, s, [&](const at::Tensor& t) {
    return at::_fake_quantize_learnable_per_tensor_affine(t, s, z, grid.quant_min, grid.quant_max);
  });
  EXPECT_TRUE(same_bits(ours.y, aten.y)) << "forward, zero point " << zero_point;
  EXPECT_TRUE(same_bits(ours.dx, aten.dx)) << "input gradient, zero point " << zero_point;
  EXPECT_TRUE(same_bits(ours.dscale, aten.dscale)) << "scale gradient, zero point " << zero_point;
}

void expect_learnable_per_channel_matches(const at::Tensor& x, int64_t axis, Grid grid, bool with_zero_points) {
  const int64_t c = x.size(axis);
  at::manual_seed(5);
  const auto s = (at::rand({c}) * 0.05 + 0.001).to(at::kFloat).requires_grad_(true);
  const auto z = with_zero_points ? at::randint(grid.quant_min, grid.quant_max + 1, {c}).to(at::kFloat) : at::zeros({c});
  const auto ours = run(x, s, [&](const at::Tensor& t) {
    return fake_quant_learnable_per_channel(t, s, z, axis, grid.quant_min, grid.quant_max);
  });
  const auto aten = run(x, s, [&](const at::Tensor& t) {
    return at::_fake_quantize_learnable_per_channel_affine(t, s, z, axis, grid.quant_min, grid.quant_max);
  });
  EXPECT_TRUE(same_bits(ours.y, aten.y)) << "forward, axis " << axis;
  EXPECT_TRUE(same_bits(ours.dx, aten.dx)) << "input gradient, axis " << axis;
  EXPECT_TRUE(same_bits(ours.dscale, aten.dscale)) << "scale gradient, axis " << axis;
}

// The four kernels on x (per channel along axis 1), at one thread and at two.
void expect_every_kernel_matches_on_one_thread_and_two(const at::Tensor& x) {
  for (const int threads : {1, 2}) {
    const qat::testing::ScopedThreads guard(threads);
    expect_per_tensor_matches(x, 0.02f, 3, kInt8);
    expect_per_channel_matches(x, 1, kUint8, true);
    expect_learnable_per_tensor_matches(x, 0.02f, 3.0f, kInt8);
    expect_learnable_per_channel_matches(x, 1, kUint8, true);
  }
}

// More elements than one ATen grain (32768), so that several threads share the work.
const std::vector<int64_t> kOddShape = {3, 37, 29, 31};

}  // namespace

TEST(FakeQuantKernels, PerTensorMatchesAtenOnHardValues) {
  for (const float scale : {0.1f, 0.0123f, 1.0f / 3.0f, 7.5e-4f}) {
    const auto x = hard_values(kOddShape, scale, 1);
    expect_per_tensor_matches(x, scale, 0, kInt8);
    expect_per_tensor_matches(x, scale, 128, kUint8);
    expect_per_tensor_matches(x, scale, 37, kUint8);
    expect_per_tensor_matches(x, scale, -5, kInt8);
    expect_per_tensor_matches(x, scale, 0, kNarrowInt8);
  }
}

TEST(FakeQuantKernels, PerTensorOnTinyAndOddSizes) {
  for (const int64_t n : {1, 7, 8, 9, 15, 17, 1001}) {
    expect_per_tensor_matches(hard_values({n}, 0.05f, static_cast<uint64_t>(n)), 0.05f, 3, kInt8);
  }
  expect_per_tensor_matches(at::empty({0, 3}), 0.05f, 0, kInt8);
}

TEST(FakeQuantKernels, PerTensorNonContiguous) {
  const auto x = hard_values({4, 6, 33, 35}, 0.02f, 2);
  expect_per_tensor_matches(x.transpose(1, 3), 0.02f, 11, kUint8);          // dense, permuted
  expect_per_tensor_matches(x.slice(3, 1, 35, 2), 0.02f, 11, kUint8);       // strided
  expect_per_tensor_matches(x.contiguous(at::MemoryFormat::ChannelsLast), 0.02f, 0, kInt8);
}

TEST(FakeQuantKernels, PerTensorSaturatesAndRoundsHalfToEven) {
  // scale 0.5: 0.25 -> 0.5 rounds to 0, 0.75 -> 1.5 rounds to 2, 1.25 -> 2.5 rounds to 2.
  const auto y = fake_quant_per_tensor(at::tensor({0.25f, 0.75f, 1.25f, -0.75f, 100.0f, -100.0f}), 0.5f, 0, -128, 127);
  const auto c = y.contiguous();
  EXPECT_EQ(std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + 6),
            (std::vector<float>{0.0f, 1.0f, 1.0f, -1.0f, 63.5f, -64.0f}));
}

TEST(FakeQuantKernels, OverflowAndNanGoToQuantMinAsInAten) {
  // ATen casts q to int64_t; x86 makes every float beyond int64 (and NaN) INT64_MIN,
  // which clamps to quant_min: +1e30 and +inf come out as -1.28, not 1.27.
  const auto x = at::tensor({1e30f, -1e30f, INFINITY, -INFINITY, NAN, 1e7f});
  const std::vector<float> want = {-1.28f, -1.28f, -1.28f, -1.28f, -1.28f, 1.27f};
  for (const auto& y : {fake_quant_per_tensor(x, 0.01f, 0, -128, 127), per_tensor_reference(x, 0.01f, 0, kInt8)}) {
    const auto c = y.contiguous();
    EXPECT_EQ(std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + 6), want);
  }
}

TEST(FakeQuantKernels, PerChannelMatchesAtenOnEveryAxis) {
  const auto x = hard_values(kOddShape, 0.02f, 4);
  for (int64_t axis = 0; axis < 4; ++axis) {
    expect_per_channel_matches(x, axis, kInt8, false);
    expect_per_channel_matches(x, axis, kUint8, true);
  }
  // Channels on the fastest axis with fewer and more than eight of them.
  expect_per_channel_matches(hard_values({41, 5}, 0.02f, 5), 1, kInt8, true);
  expect_per_channel_matches(hard_values({3000, 19}, 0.02f, 6), 1, kUint8, true);
  // A conv weight [out, in, 3, 3] on axis 0, as the student quantizes them.
  expect_per_channel_matches(hard_values({128, 64, 3, 3}, 0.01f, 7), 0, kInt8, false);
}

TEST(FakeQuantKernels, PerChannelNonContiguous) {
  const auto x = hard_values({6, 9, 17, 23}, 0.02f, 8);
  expect_per_channel_matches(x.transpose(1, 3), 1, kInt8, true);
  expect_per_channel_matches(x.slice(2, 0, 17, 3), 1, kUint8, true);
  expect_per_channel_matches(x.contiguous(at::MemoryFormat::ChannelsLast), 1, kInt8, false);
}

TEST(FakeQuantKernels, LearnablePerTensorMatchesAten) {
  for (const float scale : {0.1f, 0.0123f, 1.0f / 3.0f}) {
    const auto x = hard_values(kOddShape, scale, 9);
    expect_learnable_per_tensor_matches(x, scale, 0.0f, kInt8);
    expect_learnable_per_tensor_matches(x, scale, 128.0f, kUint8);
    expect_learnable_per_tensor_matches(x, scale, 37.0f, kUint8);
    // ATen's backward truncates zero_point + 0.5: -5 becomes -4 there.
    expect_learnable_per_tensor_matches(x, scale, -5.0f, kInt8);
  }
  expect_learnable_per_tensor_matches(hard_values({9}, 0.05f, 10), 0.05f, 2.0f, kInt8);
  const auto x = hard_values({4, 6, 33, 35}, 0.02f, 11);
  expect_learnable_per_tensor_matches(x.transpose(1, 3), 0.02f, 11.0f, kUint8);
  expect_learnable_per_tensor_matches(x.slice(3, 1, 35, 2), 0.02f, 11.0f, kUint8);
}

TEST(FakeQuantKernels, LearnablePerChannelMatchesAten) {
  const auto x = hard_values(kOddShape, 0.02f, 12);
  for (int64_t axis = 0; axis < 4; ++axis) {
    expect_learnable_per_channel_matches(x, axis, kInt8, false);
    expect_learnable_per_channel_matches(x, axis, kUint8, true);
  }
  expect_learnable_per_channel_matches(hard_values({3000, 19}, 0.02f, 13), 1, kUint8, true);
  const auto y = hard_values({6, 9, 17, 23}, 0.02f, 14);
  expect_learnable_per_channel_matches(y.transpose(1, 3), 1, kInt8, true);
  expect_learnable_per_channel_matches(y.slice(2, 0, 17, 3), 1, kUint8, true);
}

TEST(FakeQuantKernels, SameBitsOnOneThreadAndTwo) {
  expect_every_kernel_matches_on_one_thread_and_two(hard_values(kOddShape, 0.02f, 15));
}

TEST(FakeQuantKernels, StreamingStoresGiveTheSameBits) {
  // Above the streaming size, and odd: the second thread's chunk, and every per-channel
  // row (19043 elements), starts off the 32-byte alignment a streaming store needs.
  const auto x = hard_values({3, 37, 139, 137}, 0.02f, 16);
  ASSERT_GE(x.numel() * int64_t{4}, kStreamingStoreBytes);
  expect_every_kernel_matches_on_one_thread_and_two(x);
}

TEST(FakeQuantKernels, GridsBeyondTheExactRangeMatchAten) {
  // On a grid of 2^25 either side, zero_point + nearbyint(x * inv_scale) rounds in float
  // (only even integers lie between 2^24 and 2^25): ATen's q for 2^25 - 2 with zero point
  // 1 is 2^25, which the kernels' arithmetic relative to the zero point would not give.
  // Such grids take ATen's op.
  const int64_t wide = int64_t{1} << 25;
  const Grid grid{-wide, wide};
  const float edge = static_cast<float>(wide - 2);
  at::manual_seed(17);
  const auto x = at::cat({at::tensor({edge, -edge, edge - 6, 3.5f, -0.25f}), at::randn({40}) * 3e7});
  expect_per_tensor_matches(x, 1.0f, 1, grid);
  expect_learnable_per_tensor_matches(x, 1.0f, 1.0f, grid);
  expect_per_channel_matches(x.reshape({1, 45}), 0, at::ones({1}), at::ones({1}, at::kInt), grid);
  EXPECT_EQ(fake_quant_per_tensor(x, 1.0f, 1, grid.quant_min, grid.quant_max)[0].item<float>(),
            33554432.0f);  // 2^25, as ATen gives it
}

// The message of the c10::Error that f throws, or "" if it throws none.
template <class F>
std::string error_of(const F& f) {
  try {
    f();
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  }
  return "";
}

TEST(FakeQuantKernels, ZeroPointsOutsideTheGridAreRefusedAsAtenRefusesThem) {
  const auto x = at::randn({2, 3, 4});
  EXPECT_EQ(error_of([&] { fake_quant_per_tensor(x, 0.1f, 200, -128, 127); }),
            "`zero_point` must be between `quant_min` and `quant_max`.");
  EXPECT_EQ(error_of([&] { silu_fake_quant_per_tensor(x, 0.1f, -129, -128, 127); }),
            "`zero_point` must be between `quant_min` and `quant_max`.");
  EXPECT_EQ(error_of([&] {
              fake_quant_per_channel(x, at::full({3}, 0.1f), at::tensor({0, 200, 0}, at::kInt), 1, -128, 127);
            }),
            "fake quantization: zero point 200 of channel 1 is outside [-128, 127]");
}

}  // namespace qat::quant
