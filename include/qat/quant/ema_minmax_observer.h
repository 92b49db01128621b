// Moving-average minimum and maximum (PyTorch's MovingAverageMinMaxObserver and
// its per-channel twin): the first batch sets the range, each later batch moves it
//   min += c * (batch_min - min),  max += c * (batch_max - max)
// with averaging constant c (0.01 by default). Tracks drifting activations during QAT.
#pragma once

#include <memory>

#include "qat/quant/range_observer.h"

namespace qat::quant {

class EmaMinMaxObserver : public RangeObserver {
 public:
  /// `averaging_constant` in (0, 1].
  explicit EmaMinMaxObserver(QuantSpec spec, double averaging_constant = 0.01);

  std::string name() const override { return "ema_minmax"; }
  double averaging_constant() const { return averaging_constant_; }
  /// The averaged range: its mean over ranks.
  std::optional<std::vector<SharedStat>> shared_stats() override {
    return std::vector<SharedStat>{{min_, Combine::mean}, {max_, Combine::mean}};
  }

 protected:
  void merge(const at::Tensor& batch_min, const at::Tensor& batch_max) override;

 private:
  double averaging_constant_;
};

std::unique_ptr<Observer> make_ema_minmax(const QuantSpec& spec);

}  // namespace qat::quant
