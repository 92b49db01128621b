// The built-in observers: one line each.
#include "qat/quant/registry.h"

#include "qat/quant/ema_minmax_observer.h"
#include "qat/quant/entropy_observer.h"
#include "qat/quant/minmax_observer.h"
#include "qat/quant/mse_observer.h"
#include "qat/quant/percentile_observer.h"

namespace qat::quant {

const Registry<ObserverFactory>& observer_registry() {
  static const Registry<ObserverFactory> registry = [] {
    Registry<ObserverFactory> reg("observer");
    reg.add("minmax", make_minmax);
    reg.add("ema_minmax", make_ema_minmax);
    reg.add("percentile", make_percentile);
    reg.add("mse", make_mse);
    reg.add("entropy", make_entropy);
    return reg;
  }();
  return registry;
}

}  // namespace qat::quant
