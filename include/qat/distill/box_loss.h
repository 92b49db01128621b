// Box regression towards the teacher's decoded boxes, where the teacher sees an object.
#pragma once

#include "qat/distill/distill_loss.h"

namespace qat::distill {

/// On anchors whose highest teacher score w = sigmoid(max_c t) is >= score_floor:
/// sum_i |s_i - t_i| / stride (xyxy) + (1 - GIoU(s, t)), averaged with weights w.
/// Without anchor strides (an imported model that computes its anchors) the L1 term
/// is divided by the teacher box's mean side, (w + h) / 2, at least one cell
/// sqrt(H * W / A) (DistillContext::image_area; 1 pixel when unknown), and teacher
/// boxes smaller than a cell get no GIoU term.
/// 0 (still connected to the student's boxes) when no anchor passes the floor.
class BoxL1GiouLoss : public DistillLoss {
 public:
  explicit BoxL1GiouLoss(double score_floor);
  at::Tensor compute(const DistillContext& ctx) const override;

 private:
  double score_floor_;
};

std::unique_ptr<DistillLoss> make_box_l1_giou(const LossSpec& spec);

}  // namespace qat::distill
