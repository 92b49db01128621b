#include "qat/quant/range_observer.h"

namespace qat::quant {

void RangeObserver::observe(const at::Tensor& x) {
  at::NoGradGuard no_grad;
  const auto r = rows(x);
  if (r.numel() == 0) return;
  observe_rows(r);
}

void RangeObserver::observe_rows(const at::Tensor& r) {
  auto [lo, hi] = at::aminmax(r, 1);
  if (batches_ == 0) {
    min_ = lo;
    max_ = hi;
    channels_ = r.size(0);
  } else {
    merge(lo, hi);
  }
  ++batches_;
}

void RangeObserver::merge(const at::Tensor& batch_min, const at::Tensor& batch_max) {
  min_ = at::minimum(min_, batch_min);
  max_ = at::maximum(max_, batch_max);
}

QParams RangeObserver::compute(const QuantSpec& spec) const {
  check_can_compute(spec);
  return qparams_from_range(min_, max_, spec);
}

void RangeObserver::reset() {
  min_ = at::Tensor();
  max_ = at::Tensor();
  batches_ = 0;
  channels_ = 0;
}

}  // namespace qat::quant
