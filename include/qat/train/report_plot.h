// The per-epoch behaviour plot of a QAT run (report.png).
#pragma once

#include <string>

#include "qat/train/qat_trainer.h"

namespace qat::train {

/// PNG bytes: recall, precision agreement, median IoU and 1 - confidence MAE of
/// the student against the teacher at `teacher_threshold`, for the PTQ start and
/// each QAT epoch, with the gate's recall floor dashed and the selected epoch marked.
std::string render_behaviour_plot(const QatResult& result, double teacher_threshold);

}  // namespace qat::train
