// The FP32 phase: trains the native detector from a recipe, evaluating mAP on the
// validation split every epoch, checkpointing every epoch (resumable), and
// exporting the best epoch as FP32 ONNX.
#pragma once

#include <string>
#include <vector>

#include "qat/model/detector.h"
#include "qat/recipe/recipe.h"

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
  /// Stop after this many epochs in this process (-1: run to the end); the run
  /// can be resumed later. Used by time-boxed jobs and by the resume tests.
  int64_t max_epochs_this_run = -1;
  /// Lock the run directory (core/run_lock.h); false when the caller holds its lock already.
  bool lock_run_dir = true;
};

struct Fp32Result {
  model::Detector detector;  ///< weights of the best epoch by val mAP@0.5
  std::vector<EpochRecord> history;
  int64_t best_epoch = -1;
  double best_map50 = 0;
  std::string run_dir;
};

Fp32Result train_fp32(const Recipe& recipe, const TrainOptions& options);

/// The directory of a recipe's run: <output_dir>/<name>.
std::string run_directory(const Recipe& recipe);

/// Per-epoch records as CSV (header + one row each) and as JSON (checkpoint history).
std::string history_csv(const std::vector<EpochRecord>& history);
std::string history_json(const std::vector<EpochRecord>& history);
std::vector<EpochRecord> history_from_json(const std::string& json);

}  // namespace qat::train
