// The plain, elementwise definition of affine quantization, written for clarity
// rather than speed: the reference the ATen fake-quant fast path is tested
// against, and what the exporter uses to fold weights into integers.
//
// Rounding is half to even and the quotient is x / scale, as in ONNX QuantizeLinear.
// (ATen's fake quantizers multiply by a float reciprocal of the scale instead, which
// can round the other way when x / scale lies within an ulp of a half-integer.)
#pragma once

#include <ATen/ATen.h>

#include "qat/quant/quant_spec.h"

namespace qat::quant {

/// clamp(round_half_to_even(x / scale) + zero_point, quant_min, quant_max) as int32.
/// Per-channel parameters apply along spec.axis. Non-finite inputs saturate (inf) or are undefined (NaN).
at::Tensor quantize(const at::Tensor& x, const QParams& qparams, const QuantSpec& spec);

/// (q - zero_point) * scale as float32.
at::Tensor dequantize(const at::Tensor& q, const QParams& qparams, const QuantSpec& spec);

}  // namespace qat::quant
