// The built-in observers: one line each.
#include "qat/quant/registry.h"

#include "qat/core/registry_of.h"
#include "qat/quant/ema_minmax_observer.h"
#include "qat/quant/entropy_observer.h"
#include "qat/quant/minmax_observer.h"
#include "qat/quant/mse_observer.h"
#include "qat/quant/percentile_observer.h"

namespace qat::quant {

const Registry<ObserverFactory>& observer_registry() {
  static const auto registry = registry_of<ObserverFactory>("observer", {
      {"minmax", make_minmax},
      {"ema_minmax", make_ema_minmax},
      {"percentile", make_percentile},
      {"mse", make_mse},
      {"entropy", make_entropy},
  });
  return registry;
}

}  // namespace qat::quant
