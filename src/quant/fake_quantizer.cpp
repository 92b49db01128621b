#include "qat/quant/fake_quantizer.h"

#include "qat/core/error.h"
#include "qat/quant/fake_quant_kernels.h"
#include "qat/quant/silu_fake_quant.h"

namespace qat::quant {

namespace {

// Shape checks only: values were validated when the qparams were made (qparams_from_range,
// set_qparams), and this runs on every forward pass.
void check_fits(const at::Tensor& x, const QParams& qparams, const QuantSpec& spec) {
  QAT_CHECK(x.scalar_type() == at::kFloat, "fake quantization needs a float32 tensor, got ", x.scalar_type());
  QAT_CHECK(qparams.scale.defined() && qparams.zero_point.defined(), "quantization parameters are undefined");
  if (!spec.per_channel()) {
    QAT_CHECK(qparams.scale.numel() == 1, "per-tensor quantization needs one scale, got ", qparams.scale.numel());
    return;
  }
  if (spec.axis >= x.dim() || x.size(spec.axis) != qparams.scale.numel()) {
    throw ShapeError(detail::concat("per-channel parameters of length ", qparams.scale.numel(),
                                    " do not fit axis ", spec.axis, " of a tensor of shape ", x.sizes()));
  }
}

}  // namespace

at::Tensor fake_quantize(const at::Tensor& x, const QParams& qparams, const QuantSpec& spec) {
  check_fits(x, qparams, spec);
  if (!spec.per_channel()) {
    return fake_quant_per_tensor(x, qparams.scale.item<float>(), qparams.zero_point.item<int64_t>(),
                                 spec.quant_min(), spec.quant_max());
  }
  return fake_quant_per_channel(x, qparams.scale, qparams.zero_point, spec.axis, spec.quant_min(), spec.quant_max());
}

FakeQuantizer::FakeQuantizer(QuantSpec spec, std::unique_ptr<Observer> observer, bool learnable)
    : spec_(spec), observer_(std::move(observer)), learnable_(learnable) {
  spec_.validate();
  QAT_CHECK(observer_ != nullptr, "a fake quantizer needs an observer");
  QAT_CHECK(observer_->spec().axis == spec_.axis, "observer '", observer_->name(), "' was built for axis ",
            observer_->spec().axis, " but the quantizer quantizes along axis ", spec_.axis);
}

void FakeQuantizer::store(QParams qparams) const {
  at::NoGradGuard no_grad;
  if (learnable_) {
    if (qparams_.scale.defined() && qparams_.scale.sizes() == qparams.scale.sizes()) {
      // In place, so that an optimizer holding the scale keeps training the same tensor.
      qparams_.scale.copy_(qparams.scale);
    } else {
      qparams_.scale = qparams.scale.clone().requires_grad_(true);
    }
    learnable_zero_point_ = qparams.zero_point.to(at::kFloat);
  } else {
    qparams_.scale = std::move(qparams.scale);
  }
  qparams_.zero_point = std::move(qparams.zero_point);
}

void FakeQuantizer::refresh() const {
  if (!stale_ || !observer_->ready()) return;
  store(observer_->compute(spec_));
  stale_ = false;
}

void FakeQuantizer::require_qparams() const {
  refresh();
  QAT_CHECK(qparams_.scale.defined(), "quantizer has no range yet: calibrate first");
}

bool FakeQuantizer::has_qparams() const {
  return qparams_.scale.defined() || (stale_ && observer_->ready());
}

at::Tensor FakeQuantizer::operator()(const at::Tensor& x) {
  if (observing_) {
    observer_->observe(x.detach());
    stale_ = true;
  }
  if (!fake_quant_) return x;
  require_qparams();
  if (!learnable_) return fake_quantize(x, qparams_, spec_);

  check_fits(x, qparams_, spec_);
  {
    // A gradient step may push the scale through zero; keep it positive as PyTorch's LSQ module does.
    at::NoGradGuard no_grad;
    qparams_.scale.clamp_min_(kMinScale);
  }
  if (!spec_.per_channel()) {
    return fake_quant_learnable_per_tensor(x, qparams_.scale, learnable_zero_point_, spec_.quant_min(),
                                           spec_.quant_max());
  }
  return fake_quant_learnable_per_channel(x, qparams_.scale, learnable_zero_point_, spec_.axis, spec_.quant_min(),
                                          spec_.quant_max());
}

at::Tensor FakeQuantizer::of_silu(const at::Tensor& x) {
  // The observer must see silu(x), and the LSQ and per-channel kernels have no fused form.
  if (observing_ || !fake_quant_ || learnable_ || spec_.per_channel()) return (*this)(at::silu(x));
  require_qparams();
  check_fits(x, qparams_, spec_);
  return silu_fake_quant_per_tensor(x, qparams_.scale.item<float>(), qparams_.zero_point.item<int64_t>(),
                                    spec_.quant_min(), spec_.quant_max());
}

QParams FakeQuantizer::qparams() const {
  require_qparams();
  return {qparams_.scale.detach().clone(), qparams_.zero_point.clone()};
}

void FakeQuantizer::set_qparams(QParams qparams) {
  check_qparams(qparams, spec_);
  store(std::move(qparams));
  stale_ = false;
}

std::vector<at::Tensor> FakeQuantizer::parameters() {
  if (!learnable_) return {};
  require_qparams();
  return {qparams_.scale};
}

}  // namespace qat::quant
