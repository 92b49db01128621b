// The built-in distillation losses: one line each.
#include "qat/distill/registry.h"

#include "qat/core/registry_of.h"
#include "qat/distill/box_loss.h"
#include "qat/distill/feature_losses.h"
#include "qat/distill/ground_truth_loss.h"
#include "qat/distill/score_losses.h"

namespace qat::distill {

const Registry<LossFactory>& loss_registry() {
  static const auto registry = registry_of<LossFactory>("distillation loss", {
      {"feature_mse", make_feature_mse},
      {"feature_cosine", make_feature_cosine},
      {"score_bce", make_score_bce},
      {"score_kl", make_score_kl},
      {"box_l1_giou", make_box_l1_giou},
      {"ground_truth", make_ground_truth},
  });
  return registry;
}

}  // namespace qat::distill
