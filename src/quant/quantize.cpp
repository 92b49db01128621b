#include "qat/quant/quantize.h"

#include <vector>

#include "qat/core/error.h"

namespace qat::quant {

namespace {

// Reshapes a [C] or [1] parameter so that it broadcasts against `x` along spec.axis.
at::Tensor along_axis(const at::Tensor& param, const at::Tensor& x, const QuantSpec& spec) {
  if (!spec.per_channel()) return param.reshape({});
  if (spec.axis >= x.dim() || x.size(spec.axis) != param.size(0)) {
    throw ShapeError(detail::concat("per-channel parameters of length ", param.size(0), " do not fit axis ",
                                    spec.axis, " of a tensor of shape ", x.sizes()));
  }
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[static_cast<size_t>(spec.axis)] = param.size(0);
  return param.reshape(shape);
}

}  // namespace

at::Tensor quantize(const at::Tensor& x, const QParams& qparams, const QuantSpec& spec) {
  check_qparams(qparams, spec);
  QAT_CHECK(x.is_floating_point(), "quantize needs a floating-point tensor, got ", x.scalar_type());
  at::NoGradGuard no_grad;
  const auto xf = x.detach().to(at::kFloat);
  const auto scale = along_axis(qparams.scale, xf, spec);
  const auto zero_point = along_axis(qparams.zero_point, xf, spec).to(at::kFloat);
  // at::round is round-half-to-even; zero points and grid values are exact in float32.
  const auto q = at::round(xf / scale) + zero_point;
  return at::clamp(q, spec.quant_min(), spec.quant_max()).to(at::kInt);
}

at::Tensor dequantize(const at::Tensor& q, const QParams& qparams, const QuantSpec& spec) {
  check_qparams(qparams, spec);
  at::NoGradGuard no_grad;
  const auto scale = along_axis(qparams.scale, q, spec);
  const auto zero_point = along_axis(qparams.zero_point, q, spec);
  return (q.to(at::kInt) - zero_point).to(at::kFloat) * scale;
}

}  // namespace qat::quant
