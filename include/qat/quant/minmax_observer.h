// Running minimum and maximum: the range of everything seen (PyTorch's MinMaxObserver
// and PerChannelMinMaxObserver). Exact, but one outlier sets the range.
#pragma once

#include <memory>

#include "qat/quant/range_observer.h"

namespace qat::quant {

class MinMaxObserver : public RangeObserver {
 public:
  explicit MinMaxObserver(QuantSpec spec) : RangeObserver(spec) {}

  std::string name() const override { return "minmax"; }
};

std::unique_ptr<Observer> make_minmax(const QuantSpec& spec);

}  // namespace qat::quant
