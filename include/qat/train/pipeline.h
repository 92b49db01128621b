// `qat train RECIPE`: the whole path from a recipe to a detector candidate.
//
//   FP32 warm start (or FP32 weights) → fold BN → calibrate (PTQ) → QAT against
//   the frozen teacher → behaviour gate → Q/DQ ONNX export → ONNX Runtime
//   re-check (the gate recomputed on its outputs) → threshold manifest + report.
//
// Artifacts in <output_dir>/<name>/: fp32/ (checkpoints, model.fp32.onnx),
// model.int8.onnx, model.int8.threshold.json (manifest), qat/best.h5 (the
// exported student, train/student_checkpoint.h), report.json, metrics.csv, report.png. The candidate files appear only when the gate passes
// in libtorch and in ONNX Runtime.
#pragma once

#include <string>

#include "qat/recipe/recipe.h"

namespace qat::train {

struct PipelineOptions {
  bool resume = false;  ///< continue the FP32 phase from its last checkpoint
};

struct PipelineResult {
  int exit_code = 0;      ///< 0 candidate published, 3 no epoch (or ONNX Runtime) passed the gate
  std::string run_dir;
  bool candidate = false;
  double threshold = 0;   ///< the candidate's operating threshold
  std::string model_path, manifest_path, report_path;
};

PipelineResult run_pipeline(const Recipe& recipe, const PipelineOptions& options);

}  // namespace qat::train
