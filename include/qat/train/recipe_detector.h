// The recipe's detector, built in one place: a native architecture with fresh
// weights, an imported ONNX model, or FP32 weights from a checkpoint.
#pragma once

#include <string>
#include <vector>

#include "qat/model/detector.h"
#include "qat/recipe/recipe.h"

namespace qat::train {

/// The recipe's model for `class_names`: a native one with freshly initialized
/// weights (deterministic for recipe.seed), or the imported ONNX model as exported.
model::Detector fresh_detector(const Recipe& recipe, const std::vector<std::string>& class_names);

/// Builds the recipe's detector for the dataset's classes and loads FP32 weights
/// from `checkpoint` (an imported model is its own FP32 teacher and ignores it).
/// Throws IoError when the checkpoint is missing or does not fit.
model::Detector load_fp32_detector(const Recipe& recipe, const std::vector<std::string>& class_names,
                                   const std::string& checkpoint);

}  // namespace qat::train
