// Moving-average minimum and maximum (PyTorch's MovingAverageMinMaxObserver and
// its per-channel twin): the first batch sets the range, each later batch moves it
//   min += c * (batch_min - min),  max += c * (batch_max - max)
// with averaging constant c (0.01 by default). Tracks drifting activations during QAT.
#pragma once

#include <memory>

#include "qat/quant/observer.h"

namespace qat::quant {

class EmaMinMaxObserver : public Observer {
 public:
  /// `averaging_constant` in (0, 1].
  explicit EmaMinMaxObserver(QuantSpec spec, double averaging_constant = 0.01);

  void observe(const at::Tensor& x) override;
  QParams compute(const QuantSpec& spec) const override;
  void reset() override;
  std::string name() const override { return "ema_minmax"; }

  double averaging_constant() const { return averaging_constant_; }
  /// The averaged minimum and maximum, float32 [C] (or [1]); undefined before the first batch.
  const at::Tensor& min() const { return min_; }
  const at::Tensor& max() const { return max_; }

 private:
  double averaging_constant_;
  at::Tensor min_;
  at::Tensor max_;
};

std::unique_ptr<Observer> make_ema_minmax(const QuantSpec& spec);

}  // namespace qat::quant
