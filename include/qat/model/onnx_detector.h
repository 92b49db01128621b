// A detector imported from an FP32 ONNX model (recipe `model: {onnx: FILE, head: {...}}`).
//
// The head section names the graph input, the boxes output [B,A,4] (xyxy input
// pixels) and the scores output [B,A,C] (after the sigmoid), optionally the
// logits value and the anchor constants. The DetectorInfo is filled from those
// names and the graph: num_classes from the scores shape, image_size from a
// static square input. A model without anchor constants has
// Detector::has_anchors() false; consumers that need anchors (the detection
// loss, box distillation) refuse it with a clear error.
#pragma once

#include <string>
#include <vector>

#include "qat/model/detector.h"
#include "qat/model/model_options.h"

namespace qat::model {

/// Imports `section.onnx` and checks the head against the graph. `class_names`
/// (e.g. the dataset's) must have num_classes entries; empty gives "class0", ....
/// Throws IoError naming the file for a head value the graph lacks or whose
/// shape contradicts the contract.
Detector load_onnx_detector(const ModelSection& section, const std::vector<std::string>& class_names = {});

}  // namespace qat::model
