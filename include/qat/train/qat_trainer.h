// The QAT phase: fine-tune the fake-quantized student against the frozen FP32
// teacher with distillation, measure its behaviour against the teacher at the
// deployed threshold every epoch, and keep the best epoch that passes the gate
// (never the lowest loss).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "qat/metrics/behaviour.h"
#include "qat/metrics/gate.h"
#include "qat/model/detector.h"
#include "qat/recipe/recipe.h"
#include "qat/train/quantized_student.h"
#include "qat/train/threshold_search.h"

namespace qat::train {

struct QatEpoch {
  /// The QAT epoch (0-based); empty for the PTQ starting point (calibrated, not fine-tuned).
  std::optional<int64_t> epoch;
  double lr = 0;
  double loss = 0;
  std::map<std::string, double> loss_parts;
  metrics::BehaviourStats at_teacher_threshold;  ///< student vs teacher, both at the deployed threshold
  metrics::GateVerdict verdict_at_teacher_threshold;
  bool passed = false;       ///< some threshold in the search passes the gate
  double threshold = 0;      ///< the chosen operating threshold (when passed)
  metrics::BehaviourStats at_threshold;  ///< behaviour at the chosen threshold (when passed)
  double objective = 0;      ///< the recipe's objective at the chosen threshold (higher is better)
  double seconds = 0;

  bool is_ptq() const { return !epoch; }
};

struct QatResult {
  std::vector<QatEpoch> history;  ///< PTQ first, then each QAT epoch
  std::optional<size_t> selected;     ///< index into history of the chosen epoch, empty if none passed
  std::optional<size_t> lowest_loss;  ///< index of the lowest-loss QAT epoch (for the report), empty if none
  metrics::Gate gate;
};

class RunContext;

/// Runs QAT with `qat`'s settings on `student` (already calibrated) against the
/// context's teacher and leaves it holding the selected epoch's weights and ranges
/// (or the last epoch's when none passed).
QatResult train_qat(RunContext& context, QuantizedStudent& student, const QatSection& qat);

/// The objective of `stats` under `name` (higher is better; confidence_mae is negated).
double objective_value(const std::string& name, const metrics::BehaviourStats& stats);

/// Fills `result.selected` (the passing epoch with the highest objective; a tie goes
/// to the lower confidence MAE at its threshold, then to the earlier epoch) and
/// `result.lowest_loss` (among QAT epochs) from `result.history`.
void select_epoch(QatResult& result);

}  // namespace qat::train
