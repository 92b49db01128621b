// `qat train RECIPE`: the whole path from a recipe to a detector candidate.
//
//   FP32 warm start (or FP32 weights) → fold BN → calibrate (PTQ) → QAT against
//   the frozen teacher → behaviour gate → Q/DQ ONNX export → ONNX Runtime
//   re-check (the gate recomputed on its outputs) → threshold manifest + report.
//
// Artifacts in <output_dir>/<name>/: fp32/ (checkpoints, model.fp32.onnx),
// model.int8.onnx, model.int8.threshold.json (manifest), qat/best.h5 (the
// exported student, train/student_checkpoint.h), report.json, report.html, report.svg, metrics.csv. The candidate files appear only when the gate passes
// in libtorch and in ONNX Runtime.
//
// Faults: the run directory is locked for the run (core/run_lock.h; a second run
// is refused with exit 2 naming the owner pid). The candidate is written under
// this run's staging names and renamed over the previous one only when complete
// and passing; a run that fails, is refused by the gate or is interrupted leaves
// the previous candidate in place and a report.json with "candidate": null, the
// "error" (phase, message, exit code) and "kept_candidate" (the earlier one).
// SIGINT/SIGTERM stop the run with exit 130/143 (core/interrupt.h).
#pragma once

#include <string>

#include "qat/recipe/recipe.h"

namespace qat::train {

struct PipelineOptions {
  bool resume = false;  ///< continue the FP32 phase from its last checkpoint
};

/// Training finished but the Q/DQ export failed: report.json has every epoch and the error.
constexpr int kExitExportFailed = 5;
/// Training and export finished but ONNX Runtime could not run the model (not a gate refusal).
constexpr int kExitRuntimeCheckFailed = 6;

struct PipelineResult {
  int exit_code = 0;      ///< 0 candidate published, 3 no epoch (or ONNX Runtime) passed the gate, 5/6 above
  std::string run_dir;
  bool candidate = false;
  double threshold = 0;   ///< the candidate's operating threshold
  std::string model_path, manifest_path, report_path;
};

PipelineResult run_pipeline(const Recipe& recipe, const PipelineOptions& options);

}  // namespace qat::train
