#include "qat/quant/ema_minmax_observer.h"

#include "qat/core/error.h"

namespace qat::quant {

EmaMinMaxObserver::EmaMinMaxObserver(QuantSpec spec, double averaging_constant)
    : Observer(spec), averaging_constant_(averaging_constant) {
  QAT_CHECK(averaging_constant > 0.0 && averaging_constant <= 1.0,
            "ema_minmax averaging constant must be in (0, 1], got ", averaging_constant);
}

void EmaMinMaxObserver::observe(const at::Tensor& x) {
  at::NoGradGuard no_grad;
  const auto r = rows(x);
  if (r.numel() == 0) return;
  auto [lo, hi] = at::aminmax(r, 1);
  if (batches_ == 0) {
    min_ = lo;
    max_ = hi;
    channels_ = r.size(0);
  } else {
    // Same expression and float32 arithmetic as PyTorch, so ranges match it bit for bit.
    min_ = min_ + averaging_constant_ * (lo - min_);
    max_ = max_ + averaging_constant_ * (hi - max_);
  }
  ++batches_;
}

QParams EmaMinMaxObserver::compute(const QuantSpec& spec) const {
  check_can_compute(spec);
  return qparams_from_range(min_, max_, spec);
}

void EmaMinMaxObserver::reset() {
  min_ = at::Tensor();
  max_ = at::Tensor();
  batches_ = 0;
  channels_ = 0;
}

std::unique_ptr<Observer> make_ema_minmax(const QuantSpec& spec) {
  return std::make_unique<EmaMinMaxObserver>(spec);
}

}  // namespace qat::quant
