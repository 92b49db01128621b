// The ordinary detection loss on the student against the labels: keeps the
// student anchored to the data where the teacher is wrong or unsure.
#pragma once

#include "qat/distill/distill_loss.h"
#include "qat/loss/detection_loss.h"

namespace qat::distill {

/// loss::detection_loss(student logits, student boxes, ...).total with default options.
class GroundTruthLoss : public DistillLoss {
 public:
  explicit GroundTruthLoss(loss::DetectionLossOptions options = {});
  at::Tensor compute(const DistillContext& ctx) const override;

 private:
  loss::DetectionLossOptions options_;
};

std::unique_ptr<DistillLoss> make_ground_truth(const LossSpec& spec);

}  // namespace qat::distill
