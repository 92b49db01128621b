#include "qat/quant/quant_spec.h"

#include "qat/core/error.h"

#include <algorithm>
#include <cmath>

namespace qat::quant {

int64_t QuantSpec::quant_min() const {
  if (!is_signed) return narrow_range ? 1 : 0;
  const int64_t lowest = -(int64_t{1} << (bits - 1));
  return narrow_range ? lowest + 1 : lowest;
}

int64_t QuantSpec::quant_max() const {
  return is_signed ? (int64_t{1} << (bits - 1)) - 1 : (int64_t{1} << bits) - 1;
}

void QuantSpec::validate() const {
  QAT_CHECK(bits >= 2 && bits <= 16, "quantization bits must be in [2, 16], got ", bits);
  QAT_CHECK(axis >= -1, "quantization axis must be -1 (per-tensor) or a dimension >= 0, got ", axis);
}

QParams qparams_from_range(const at::Tensor& min, const at::Tensor& max, const QuantSpec& spec) {
  spec.validate();
  QAT_CHECK(min.defined() && max.defined(), "quantization range is undefined");
  QAT_CHECK(min.sizes() == max.sizes(), "quantization range min ", min.sizes(), " and max ", max.sizes(),
            " differ in shape");
  QAT_CHECK(min.dim() <= 1, "quantization range must be a scalar or 1-D, got shape ", min.sizes());
  QAT_CHECK(spec.per_channel() || min.numel() == 1, "per-tensor quantization needs a scalar range, got ",
            min.numel(), " values");
  QAT_CHECK(min.numel() > 0, "quantization range is empty");
  // One pass over the (few hundred at most) channels: a weight's quantizer calls this on
  // every QAT step, where a dozen small ATen ops cost more than the fake-quant itself.
  // The arithmetic is ATen's, in float, so the results are bit-identical to it. It runs
  // on the host: qparams live on the CPU whatever device the observed tensors are on.
  at::NoGradGuard no_grad;
  const at::Tensor lo = min.detach().to(at::kCPU, at::kFloat).reshape({-1}).contiguous();
  const at::Tensor hi = max.detach().to(at::kCPU, at::kFloat).reshape({-1}).contiguous();
  const float* l = lo.data_ptr<float>();
  const float* h = hi.data_ptr<float>();
  const int64_t n = lo.numel();
  for (int64_t i = 0; i < n; ++i) {
    QAT_CHECK(std::isfinite(l[i]) && std::isfinite(h[i]),
              "quantization range is not finite (the observed data held NaN or inf)");
  }
  for (int64_t i = 0; i < n; ++i) QAT_CHECK(l[i] <= h[i], "quantization range has min > max");

  const int64_t qmin = spec.quant_min(), qmax = spec.quant_max();
  const auto fqmin = static_cast<float>(qmin), fqmax = static_cast<float>(qmax);
  at::Tensor scale = at::empty({n}, at::kFloat);
  at::Tensor zero_point = at::empty({n}, at::kInt);
  float* s = scale.data_ptr<float>();
  int32_t* z = zero_point.data_ptr<int32_t>();
  const auto symmetric_zp = static_cast<int32_t>(spec.is_signed ? 0 : (qmin + qmax + 1) / 2);
  for (int64_t i = 0; i < n; ++i) {
    // 0 must be exactly representable (zero padding, ReLU outputs), so the range always holds it.
    const float min_neg = std::min(l[i], 0.0f), max_pos = std::max(h[i], 0.0f);
    if (spec.symmetric) {
      s[i] = std::max(std::max(-min_neg, max_pos) / (static_cast<float>(qmax - qmin) / 2.0f), kMinScale);
      z[i] = symmetric_zp;
    } else {
      s[i] = std::max((max_pos - min_neg) / static_cast<float>(qmax - qmin), kMinScale);
      z[i] = static_cast<int32_t>(std::clamp(fqmin - std::nearbyint(min_neg / s[i]), fqmin, fqmax));
    }
  }
  return {scale, zero_point};
}

void check_qparams(const QParams& qparams, const QuantSpec& spec) {
  spec.validate();
  const auto& s = qparams.scale;
  const auto& z = qparams.zero_point;
  QAT_CHECK(s.defined() && z.defined(), "quantization parameters are undefined");
  QAT_CHECK(s.scalar_type() == at::kFloat, "scale must be float32, got ", s.scalar_type());
  QAT_CHECK(z.scalar_type() == at::kInt, "zero point must be int32, got ", z.scalar_type());
  QAT_CHECK(s.dim() == 1 && z.dim() == 1 && s.size(0) == z.size(0) && s.size(0) > 0,
            "scale ", s.sizes(), " and zero point ", z.sizes(), " must be 1-D of the same non-zero length");
  QAT_CHECK(spec.per_channel() || s.size(0) == 1, "per-tensor quantization needs one scale, got ", s.size(0));
  QAT_CHECK(s.gt(0).all().item<bool>() && at::isfinite(s).all().item<bool>(), "scale must be positive and finite");
  QAT_CHECK(z.ge(spec.quant_min()).all().item<bool>() && z.le(spec.quant_max()).all().item<bool>(),
            "zero point must lie in [", spec.quant_min(), ", ", spec.quant_max(), "]");
}

}  // namespace qat::quant
