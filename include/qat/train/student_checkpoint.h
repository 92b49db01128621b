// The QAT student as a checkpoint (runs/NAME/qat/best.h5): its BN-folded weights,
// every quantizer's scale and zero point and the ort profile's Conv-output qparams,
// with the recipe and class names, so that re-exporting it reproduces the deployed
// Q/DQ model (`qat provenance`, docs/export.md).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "qat/recipe/recipe.h"
#include "qat/train/checkpoint.h"
#include "qat/train/quantized_student.h"

namespace qat::train {

/// Writes `student` (phase "qat", `epoch` the selected QAT epoch, empty for the PTQ
/// model) to `path` atomically.
void save_student_checkpoint(const std::string& path, const QuantizedStudent& student, const Recipe& recipe,
                             const std::vector<std::string>& class_names, std::optional<int64_t> epoch,
                             const std::map<std::string, quant::QParams>& output_qparams = {});

/// Copies a phase "qat" checkpoint's weights and quantizer parameters into `student`
/// (built from the same recipe). Throws IoError naming `path` and the first mismatch.
void restore_student(const Checkpoint& checkpoint, QuantizedStudent& student, const std::string& path);

}  // namespace qat::train
