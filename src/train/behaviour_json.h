// Behaviour statistics as JSON, one shape for every report (pipeline, ptq, sweep).
// Private to the library: nlohmann::json is not part of qat's public headers.
#pragma once

#include <nlohmann/json.hpp>

#include "qat/metrics/behaviour.h"

namespace qat::train {

nlohmann::json behaviour_to_json(const metrics::BehaviourStats& stats);

}  // namespace qat::train
