#include "qat/distill/ground_truth_loss.h"

#include "distill/context_values.h"

namespace qat::distill {

GroundTruthLoss::GroundTruthLoss(loss::DetectionLossOptions options) : options_(options) {}

at::Tensor GroundTruthLoss::compute(const DistillContext& ctx) const {
  QAT_CHECK(ctx.anchor_points.defined() && ctx.anchor_strides.defined(),
            "ground_truth: needs anchor points and strides, and the model has none "
            "(model.head.anchor_points/anchor_strides)");
  const auto& logits = detail::find_value(ctx.student, "logits");
  const auto& boxes = detail::find_value(ctx.student, "boxes");
  return loss::detection_loss(logits, boxes, ctx.anchor_points, ctx.anchor_strides, ctx.targets, options_).total;
}

std::unique_ptr<DistillLoss> make_ground_truth(const LossSpec& /*spec*/) {
  return std::make_unique<GroundTruthLoss>();
}

}  // namespace qat::distill
