// Observers by name, for recipes: "minmax", "ema_minmax", "percentile", "mse", "entropy".
#pragma once

#include <memory>

#include "qat/core/registry.h"
#include "qat/quant/observer.h"

namespace qat::quant {

/// Builds an observer with default options for `spec`.
using ObserverFactory = std::unique_ptr<Observer> (*)(const QuantSpec& spec);

/// The built-in observers (src/quant/registry.cpp).
const Registry<ObserverFactory>& observer_registry();

}  // namespace qat::quant
