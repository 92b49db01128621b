// The built-in distillation losses: one line each.
#include "qat/distill/registry.h"

#include "qat/distill/box_loss.h"
#include "qat/distill/feature_losses.h"
#include "qat/distill/ground_truth_loss.h"
#include "qat/distill/score_losses.h"

namespace qat::distill {

const Registry<LossFactory>& loss_registry() {
  static const Registry<LossFactory> registry = [] {
    Registry<LossFactory> reg("distillation loss");
    reg.add("feature_mse", make_feature_mse);
    reg.add("feature_cosine", make_feature_cosine);
    reg.add("score_bce", make_score_bce);
    reg.add("score_kl", make_score_kl);
    reg.add("box_l1_giou", make_box_l1_giou);
    reg.add("ground_truth", make_ground_truth);
    return reg;
  }();
  return registry;
}

}  // namespace qat::distill
