// A fake quantizer sits on one tensor of the training graph (a weight or an
// activation): it lets its observer watch the tensor, and replaces the tensor by
// its quantize-dequantize image, whose gradient is the straight-through estimator
// (1 where the value is representable, 0 where it was clipped).
//
// With learnable = true the scale is a trainable tensor (LSQ, Esser et al. 2020);
// the zero point stays fixed. The kernels are qat's own (fake_quant_kernels.h),
// bit-identical to ATen's fake_quantize_* and _fake_quantize_learnable_* ops.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <vector>

#include "qat/quant/observer.h"
#include "qat/quant/quant_spec.h"

namespace qat::quant {

/// Fake quantization (per-tensor or along spec.axis) with the straight-through gradient,
/// bit-identical to ATen's fake_quantize_per_tensor_affine / _per_channel_affine.
/// Same values as dequantize(quantize(x)) except where x / scale is within an ulp of a
/// half-integer (ATen multiplies by a float reciprocal). `x` must be float32.
at::Tensor fake_quantize(const at::Tensor& x, const QParams& qparams, const QuantSpec& spec);

class FakeQuantizer {
 public:
  /// Starts observing with fake quantization enabled (like PyTorch's FakeQuantize).
  /// `observer` must be built for the same axis as `spec`.
  FakeQuantizer(QuantSpec spec, std::unique_ptr<Observer> observer, bool learnable = false);

  /// Observes `x` when observing(), then returns its fake-quantized image when fake quantization
  /// is enabled (else `x` itself). Throws "quantizer has no range yet: calibrate first" when it
  /// must fake-quantize but has neither observed anything nor been given qparams.
  at::Tensor operator()(const at::Tensor& x);
  /// (*this)(at::silu(x)), bit for bit: with fixed per-tensor qparams and nothing to
  /// observe, one kernel (silu_fake_quant_per_tensor) that never writes silu(x).
  at::Tensor of_silu(const at::Tensor& x);

  void set_observing(bool enabled) { observing_ = enabled; }
  void set_fake_quant(bool enabled) { fake_quant_ = enabled; }
  bool observing() const { return observing_; }
  bool fake_quant_enabled() const { return fake_quant_; }
  bool learnable() const { return learnable_; }
  /// True once qparams exist (observed data or set_qparams).
  bool has_qparams() const;

  /// Current parameters (a detached copy of the learnable scale). Computing them from an
  /// expensive observer (mse, entropy) happens here, once per batch of new observations.
  QParams qparams() const;
  /// Fixes the parameters (validated against spec()); a learnable scale is overwritten in place.
  void set_qparams(QParams qparams);
  const QuantSpec& spec() const { return spec_; }

  /// The observer; after changing its statistics (a data-parallel run combines them
  /// across ranks) call observer_changed() so that qparams are computed again.
  Observer& observer() { return *observer_; }
  void observer_changed() { stale_ = true; }

  /// The trainable tensors: {scale} when learnable (after calibration), else empty.
  std::vector<at::Tensor> parameters();

 private:
  void refresh() const;
  /// refresh(), then throws "quantizer has no range yet: calibrate first" if there are still no qparams.
  void require_qparams() const;
  void store(QParams qparams) const;

  QuantSpec spec_;
  std::unique_ptr<Observer> observer_;
  bool learnable_;
  bool observing_ = true;
  bool fake_quant_ = true;
  // The cache below is filled lazily from the observer, also by const accessors.
  mutable bool stale_ = false;  ///< the observer saw data since qparams_ were computed
  mutable QParams qparams_;
  mutable at::Tensor learnable_zero_point_;  ///< float copy of the zero point for the LSQ kernels
};

}  // namespace qat::quant
