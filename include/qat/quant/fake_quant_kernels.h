// qat's own fake-quantization kernels, each one autograd function: forward and
// backward are each one vectorized pass over memory, parallel over the tensor, and
// backward recomputes the straight-through mask from the saved input (no mask
// tensor). Results are bit-identical to ATen's ops, which stay the tests' reference:
//
//   fake_quant_per_tensor             at::fake_quantize_per_tensor_affine
//   fake_quant_per_channel            at::fake_quantize_per_channel_affine
//   fake_quant_learnable_per_tensor   at::_fake_quantize_learnable_per_tensor_affine
//   fake_quant_learnable_per_channel  at::_fake_quantize_learnable_per_channel_affine
//
// including ATen's arithmetic: q = nearbyint(x * (1.0f / scale)) + zero_point in float
// (a multiply by the reciprocal, which differs from x / scale within an ulp of a
// half-integer), and the LSQ backward's nearbyint(zero_point + x * inv_scale).
// Inputs are float32; shapes are checked by the caller (FakeQuantizer). The kernels are
// CPU code: a tensor on another device (a CUDA build of libtorch) goes to ATen's op of
// the table, on its device (the parameters are moved there), which the tests keep as
// the reference the CPU kernels must match. So does a grid beyond 2^21 either side of
// zero, where the kernels' arithmetic relative to the zero point would not be exact (a
// QuantSpec has at most 16 bits). A zero point outside its grid is refused, as ATen
// refuses it.
//
// An output of at least kStreamingStoreBytes is written with streaming (non-temporal)
// stores, around the caches: the same values, with a third less memory traffic in the
// forward pass and a quarter less in the backward.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace qat::quant {

/// Outputs (y, dx, the LSQ per-element scale gradient) at least this large bypass the
/// caches; why this size: src/quant/fake_quant_lanes.h.
constexpr int64_t kStreamingStoreBytes = int64_t{8} << 20;

/// One scale and zero point for the whole tensor; the gradient of `x` is the STE.
at::Tensor fake_quant_per_tensor(const at::Tensor& x, float scale, int64_t zero_point, int64_t quant_min,
                                 int64_t quant_max);

/// `scale` float32 [C], `zero_point` int32 [C] along `axis`; the gradient of `x` is the STE.
at::Tensor fake_quant_per_channel(const at::Tensor& x, const at::Tensor& scale, const at::Tensor& zero_point,
                                  int64_t axis, int64_t quant_min, int64_t quant_max);

/// LSQ: `scale` float32 [1] gets the gradient of Esser et al.; `zero_point` float32 [1] stays fixed.
at::Tensor fake_quant_learnable_per_tensor(const at::Tensor& x, const at::Tensor& scale, const at::Tensor& zero_point,
                                           int64_t quant_min, int64_t quant_max);

/// LSQ along `axis`: `scale` float32 [C] is trained; `zero_point` float32 [C] stays fixed.
at::Tensor fake_quant_learnable_per_channel(const at::Tensor& x, const at::Tensor& scale,
                                            const at::Tensor& zero_point, int64_t axis, int64_t quant_min,
                                            int64_t quant_max);

}  // namespace qat::quant
