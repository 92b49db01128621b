// `qat ptq`: post-training quantization of the FP32 detector, and the yardstick
// QAT has to beat: calibrate the recipe's region, then measure mAP and the
// behaviour against the FP32 teacher at the deployed threshold, and the threshold
// (if any in qat.threshold_search) at which it passes the gate.
#pragma once

#include <string>

#include "qat/metrics/behaviour.h"
#include "qat/recipe/recipe.h"
#include "qat/train/calibration_set.h"
#include "qat/train/evaluate.h"
#include "qat/train/recipe_detector.h"
#include "qat/train/threshold_search.h"

namespace qat::train {

struct PtqOptions {
  /// FP32 checkpoint; empty: the run's fp32/best.h5.
  std::string weights;
};

struct PtqResult {
  Evaluation teacher;                   ///< FP32 on the val split
  Evaluation student;                   ///< fake-quantized on the val split
  metrics::BehaviourStats behaviour;    ///< student vs teacher at the deployed threshold
  CalibrationSet calibration;  ///< the images that calibrated
  ThresholdChoice threshold;    ///< the gate's threshold search, as for the trainer's PTQ epoch
  std::string report_path;              ///< <run>/ptq/report.json
};

PtqResult run_ptq(const Recipe& recipe, const PtqOptions& options);

}  // namespace qat::train
