// SiLU and per-tensor fake quantization as one autograd function: the activation
// quantizer of a convolution's input usually reads a SiLU's output, and computing
// fq(silu(x)) in one pass over memory each way (forward: read x, write the image;
// backward: read x and the gradient, write dx, with the sigmoid and the STE mask
// recomputed from x) replaces two passes forward and two backward over the SiLU's
// output, which is then never written.
//
// The result is bit-identical, forward and backward, to
// fake_quant_per_tensor(at::silu(x), ...), because it repeats ATen's SiLU exactly:
// Sleef's exp on the vector part of each of at::parallel_for's chunks, glibc's on
// each chunk's scalar tail, whose length follows the vector width of the kernels ATen
// dispatches to, and the fused multiply-add GCC contracts the gradient's
// 1 + x * (1 - sigmoid) into. Which of those forms this libtorch uses is found once, by
// running at::silu and at::silu_backward on probe values that tell the forms apart;
// when none matches, or `x` is not a contiguous CPU tensor, the function runs
// at::silu and the fake quantization as two ops, so the equality always holds.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <optional>

namespace qat::quant {

/// fake_quant_per_tensor(at::silu(x), scale, zero_point, quant_min, quant_max), bit for
/// bit, with the gradient of `x` through both; one pass over memory each way.
at::Tensor silu_fake_quant_per_tensor(const at::Tensor& x, float scale, int64_t zero_point, int64_t quant_min,
                                      int64_t quant_max);

/// How ATen's CPU SiLU computes, as the probe found it: `vector_block` elements of each
/// parallel chunk go through Sleef's exp at a time (2 × the vector width: 16 for AVX2,
/// 32 for AVX-512), the rest of the chunk through glibc's expf, and the gradient's
/// 1 + x * (1 - sigmoid) is one fused multiply-add; `vector_block` 0: all of it through
/// glibc's expf and no fused multiply-add (ATen's DEFAULT kernels). Empty: no form qat
/// reproduces, so silu_fake_quant_per_tensor runs the two ops.
struct AtenSiluForm {
  int64_t vector_block = 0;
};
std::optional<AtenSiluForm> aten_silu_form();

}  // namespace qat::quant
