#include "qat/distill/box_loss.h"

#include <algorithm>
#include <cmath>

#include "distill/context_values.h"
#include "qat/metrics/box_ops.h"

namespace qat::distill {

BoxL1GiouLoss::BoxL1GiouLoss(double score_floor) : score_floor_(score_floor) {
  QAT_CHECK(score_floor >= 0 && score_floor <= 1, "box_l1_giou: score_floor must be in [0, 1], got ", score_floor);
}

at::Tensor BoxL1GiouLoss::compute(const DistillContext& ctx) const {
  const char* what = "box_l1_giou";
  const auto logits = detail::logits_pair(ctx, what);
  const auto boxes = detail::value_pair(ctx, "boxes", what);
  const int64_t b = logits.student.size(0), a = logits.student.size(1);
  const std::string ba = "[" + std::to_string(b) + "," + std::to_string(a);
  qat::detail::check_shape(boxes.student, {b, a, 4}, ba + ",4]", what, "boxes");
  if (ctx.anchor_strides.defined()) {
    qat::detail::check_shape(ctx.anchor_strides, {a}, "[" + std::to_string(a) + "]", what, "anchor_strides");
  }

  const auto w = at::sigmoid(std::get<0>(logits.teacher.max(-1)));  // [B,A]
  const auto keep = at::nonzero((w >= score_floor_).reshape({-1})).reshape({-1});
  if (keep.numel() == 0) return boxes.student.sum() * 0;  // keeps backward() valid

  const auto s = boxes.student.reshape({-1, 4}).index_select(0, keep);
  const auto t = boxes.teacher.reshape({-1, 4}).index_select(0, keep);
  const auto weight = w.reshape({-1}).index_select(0, keep);
  // L1 in strides makes one pixel at stride 8 cost what four do at stride 32, as the
  // detection loss does. GIoU adds a scale-free overlap term.
  if (ctx.anchor_strides.defined()) {
    const auto strides = ctx.anchor_strides.to(s.options()).expand({b, a}).reshape({-1}).index_select(0, keep);
    const auto per_anchor = (s - t).abs().sum(-1) / strides + (1 - metrics::giou(s, t));
    return (weight * per_anchor).sum() / weight.sum();
  }
  // A model without anchors (an imported export that computes them) divides by the
  // teacher box's mean side instead, the same relative error at every scale, but at
  // least one cell, an anchor's share of the image (sqrt(H * W / A), the finest
  // stride's order in an FPN head): the relative error of a box smaller than that is
  // quantization noise whose gradient grows as the box shrinks. GIoU, scale-free, is
  // left out for such boxes for the same reason. (An untrained FCOS head draws boxes of
  // a pixel or less; relative to them one SGD step at lr 1e-3 moved every box by more
  // than its size, and the student lost every teacher detection.)
  const double cell = ctx.image_area > 0 ? std::max(1.0, std::sqrt(ctx.image_area / static_cast<double>(a))) : 1.0;
  const auto side = (t.select(1, 2) - t.select(1, 0) + t.select(1, 3) - t.select(1, 1)) / 2;
  const auto l1 = (s - t).abs().sum(-1) / side.clamp_min(cell);
  const auto per_anchor = l1 + (1 - metrics::giou(s, t)) * (side >= cell).to(s.dtype());
  return (weight * per_anchor).sum() / weight.sum();
}

std::unique_ptr<DistillLoss> make_box_l1_giou(const LossSpec& spec) {
  return std::make_unique<BoxL1GiouLoss>(spec.score_floor);
}

}  // namespace qat::distill
