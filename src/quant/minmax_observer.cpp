#include "qat/quant/minmax_observer.h"

namespace qat::quant {

MinMaxObserver::MinMaxObserver(QuantSpec spec) : Observer(spec) {}

void MinMaxObserver::observe(const at::Tensor& x) {
  at::NoGradGuard no_grad;
  const auto r = rows(x);
  if (r.numel() == 0) return;
  auto [lo, hi] = at::aminmax(r, 1);
  if (batches_ == 0) {
    min_ = lo;
    max_ = hi;
    channels_ = r.size(0);
  } else {
    min_ = at::minimum(min_, lo);
    max_ = at::maximum(max_, hi);
  }
  ++batches_;
}

QParams MinMaxObserver::compute(const QuantSpec& spec) const {
  check_can_compute(spec);
  return qparams_from_range(min_, max_, spec);
}

void MinMaxObserver::reset() {
  min_ = at::Tensor();
  max_ = at::Tensor();
  batches_ = 0;
  channels_ = 0;
}

std::unique_ptr<Observer> make_minmax(const QuantSpec& spec) { return std::make_unique<MinMaxObserver>(spec); }

}  // namespace qat::quant
