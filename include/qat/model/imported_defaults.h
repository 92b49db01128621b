// Defaults for an imported detector, whose node names are the exporter's
// (torch: "/model.22/cv2.0/cv2.0.2/Conv") rather than qat's; recipe/recipe_check.h
// checks a recipe's names against the graph after these resolutions.
//
// The head layers are the Conv/Gemm/MatMul nodes that produce the head outputs:
// reached from the contract's boxes and scores through ops that are not
// quantizable, and, past a layer whose input comes through a Softmax (YOLOv8's
// DFL decode conv), the layers before that Softmax too. They stay FP32 by default
// (like the native head's cls_pred and box_pred), and their inputs are the
// default feature-distillation taps: the last features the head computes from.
#pragma once

#include <string>
#include <vector>

#include "qat/distill/loss_spec.h"
#include "qat/model/detector.h"
#include "qat/quant/quant_options.h"

namespace qat::model {

struct HeadLayers {
  std::vector<std::string> nodes;  ///< in graph order
  std::vector<std::string> taps;   ///< the data inputs of the non-decode head layers, in graph order, unique
};

/// The head layers of `det` (see the banner).
HeadLayers find_head_layers(const Detector& det);

/// `quant` as a run uses it on `det`: an empty include (an imported model's
/// default) becomes every quantizable node except the head layers, which are
/// logged. A non-empty include is returned unchanged.
QuantSection resolve_quant_region(const Detector& det, const QuantSection& quant);

/// `losses` as a run uses them on `det`: a feature loss whose taps are the
/// native defaults (distill::default_feature_taps()) while the model has none of
/// them taps the head layers' inputs instead (logged); the default losses on a model
/// without anchor constants leave out ground_truth, which assigns labels to anchors (logged).
std::vector<distill::LossSpec> resolve_loss_taps(const Detector& det, const std::vector<distill::LossSpec>& losses);

}  // namespace qat::model
