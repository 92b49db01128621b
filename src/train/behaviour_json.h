// Behaviour statistics as JSON, one shape for every report (pipeline, ptq, sweep).
// Private to the library: nlohmann::json is not part of qat's public headers.
#pragma once

#include <nlohmann/json.hpp>

#include "qat/metrics/behaviour.h"
#include "qat/metrics/gate.h"
#include "qat/train/calibration_set.h"

namespace qat::train {

nlohmann::json behaviour_to_json(const metrics::BehaviourStats& stats);

/// The gate's bounds under their gate-file keys (report.json's qat.gate_limits).
nlohmann::json gate_to_json(const metrics::Gate& gate);

/// The calibration set: {sampling, images: [train indices in reading order],
/// class_objects: {class name: objects}} (report.json's quant.calibration).
nlohmann::json calibration_to_json(const CalibrationSet& set);

}  // namespace qat::train
