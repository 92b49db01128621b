// The FP32 phase: trains the native detector from a recipe, evaluating mAP on the
// validation split every epoch and checkpointing every epoch (resumable); the
// best epoch is exported as FP32 ONNX (`export_fp32_onnx`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "qat/model/detector.h"
#include "qat/recipe/recipe.h"
#include "qat/train/run_layout.h"

namespace qat::train {

struct EpochRecord {
  int64_t epoch = 0;
  double lr = 0;
  double loss = 0, loss_cls = 0, loss_box = 0;
  double val_map50 = 0;
  double val_recall_at_threshold = 0;
  double seconds = 0;
};

struct TrainOptions {
  bool resume = false;  ///< continue from <run>/fp32/last.h5 when it exists
  /// Stop after this many epochs in this process (empty: run to the end); the run
  /// can be resumed later. Used by time-boxed jobs and by the resume tests.
  std::optional<int64_t> max_epochs_this_run;
};

struct Fp32Result {
  model::Detector detector;  ///< weights of the best epoch by val mAP@0.5
  std::vector<EpochRecord> history;
  std::optional<int64_t> best_epoch;  ///< 0-based; empty when no epoch ran (fp32.epochs: 0)
  double best_map50 = 0;
  std::string run_dir;
  bool finished = false;  ///< every epoch of the recipe ran (false: stopped by max_epochs_this_run)
};

class RunContext;

/// Trains in `context`'s run directory (the caller holds its lock).
Fp32Result train_fp32(RunContext& context, const TrainOptions& options);

/// Writes the trained detector as fp32/model.fp32.onnx.
void export_fp32_onnx(const RunContext& context, const Fp32Result& fp32);

/// `qat train --phase fp32`: locks the run directory, trains and, when every epoch
/// ran, exports the best epoch as FP32 ONNX.
Fp32Result train_fp32(const Recipe& recipe, const TrainOptions& options);

/// Per-epoch records as CSV (header + one row each) and as JSON (checkpoint history).
std::string history_csv(const std::vector<EpochRecord>& history);
std::string history_json(const std::vector<EpochRecord>& history);
std::vector<EpochRecord> history_from_json(const std::string& json);

}  // namespace qat::train
