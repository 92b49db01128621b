#include "qat/quant/minmax_observer.h"

namespace qat::quant {

std::unique_ptr<Observer> make_minmax(const QuantSpec& spec) { return std::make_unique<MinMaxObserver>(spec); }

}  // namespace qat::quant
