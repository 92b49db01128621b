// Running minimum and maximum: the range of everything seen (PyTorch's MinMaxObserver
// and PerChannelMinMaxObserver). Exact, but one outlier sets the range.
#pragma once

#include <memory>

#include "qat/quant/observer.h"

namespace qat::quant {

class MinMaxObserver : public Observer {
 public:
  explicit MinMaxObserver(QuantSpec spec);

  void observe(const at::Tensor& x) override;
  QParams compute(const QuantSpec& spec) const override;
  void reset() override;
  std::string name() const override { return "minmax"; }

  /// Running minimum and maximum, float32 [C] (or [1]); undefined before the first batch.
  const at::Tensor& min() const { return min_; }
  const at::Tensor& max() const { return max_; }

 private:
  at::Tensor min_;
  at::Tensor max_;
};

std::unique_ptr<Observer> make_minmax(const QuantSpec& spec);

}  // namespace qat::quant
