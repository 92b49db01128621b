// Distillation losses by name, for recipes: "feature_mse", "feature_cosine",
// "score_bce", "score_kl", "box_l1_giou", "ground_truth".
#pragma once

#include "qat/core/registry.h"
#include "qat/distill/distill_loss.h"

namespace qat::distill {

/// The built-in losses (src/distill/registry.cpp).
const Registry<LossFactory>& loss_registry();

}  // namespace qat::distill
