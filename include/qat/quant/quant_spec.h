// What an integer grid looks like (bit width, signedness, symmetry, per-tensor or
// per-channel) and the affine parameters (scale, zero point) that map floats onto it.
//
//   q = clamp(round_half_to_even(x / scale) + zero_point, quant_min, quant_max)
//   x' = (q - zero_point) * scale
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace qat::quant {

struct QuantSpec {
  int bits = 8;  ///< 2..16
  bool is_signed = true;
  /// Zero point fixed at 0 (signed) or at the middle of the grid (unsigned, like PyTorch's quint8: 128).
  bool symmetric = true;
  /// Drops one grid point: signed [-(2^(b-1)-1), 2^(b-1)-1], unsigned [1, 2^b-1] (TensorFlow's convention).
  bool narrow_range = false;
  /// -1: one scale for the whole tensor; otherwise the per-channel axis (>= 0).
  int64_t axis = -1;

  /// Smallest integer: -128 for signed 8-bit, -127 narrow, 0 unsigned.
  int64_t quant_min() const;
  /// Largest integer: 127 for signed 8-bit, 255 unsigned.
  int64_t quant_max() const;
  bool per_channel() const { return axis >= 0; }
  /// Throws qat::Error when a field is out of range.
  void validate() const;
};

/// Affine quantization parameters: float32 scale and int32 zero point, both of
/// shape [C] (per-channel) or [1] (per-tensor).
struct QParams {
  at::Tensor scale;
  at::Tensor zero_point;
};

/// The smallest value qparams_from_range gives a scale: float32 epsilon
/// (2^-23, PyTorch's torch.finfo(torch.float32).eps), so that an all-zero range
/// still yields a usable, positive scale.
constexpr float kMinScale = 1.1920928955078125e-07f;

/// Scale and zero point covering [min, max] (per-tensor: scalars or [1]; per-channel: [C]).
/// The range is first widened to include 0 so that 0 is exactly representable.
///   symmetric:  scale = max(-min, max) / ((quant_max - quant_min) / 2), zero point 0 for
///               signed grids and (quant_min + quant_max + 1) / 2 for unsigned ones;
///   asymmetric: scale = (max - min) / (quant_max - quant_min),
///               zero point = clamp(quant_min - round(min / scale), quant_min, quant_max).
/// Scales are clamped below at kMinScale. Arithmetic is float32, as in PyTorch's observers.
QParams qparams_from_range(const at::Tensor& min, const at::Tensor& max, const QuantSpec& spec);

/// Throws qat::Error unless `qparams` fit `spec`: float32 positive scale, int32 zero point in
/// [quant_min, quant_max], same 1-D shape, one element when per-tensor.
void check_qparams(const QParams& qparams, const QuantSpec& spec);

}  // namespace qat::quant
