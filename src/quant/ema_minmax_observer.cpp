#include "qat/quant/ema_minmax_observer.h"

#include "qat/core/error.h"

namespace qat::quant {

EmaMinMaxObserver::EmaMinMaxObserver(QuantSpec spec, double averaging_constant)
    : RangeObserver(spec), averaging_constant_(averaging_constant) {
  QAT_CHECK(averaging_constant > 0.0 && averaging_constant <= 1.0,
            "ema_minmax averaging constant must be in (0, 1], got ", averaging_constant);
}

void EmaMinMaxObserver::merge(const at::Tensor& batch_min, const at::Tensor& batch_max) {
  // Same expression and float32 arithmetic as PyTorch, so ranges match it bit for bit.
  min_ = min_ + averaging_constant_ * (batch_min - min_);
  max_ = max_ + averaging_constant_ * (batch_max - max_);
}

std::unique_ptr<Observer> make_ema_minmax(const QuantSpec& spec) {
  return std::make_unique<EmaMinMaxObserver>(spec);
}

}  // namespace qat::quant
