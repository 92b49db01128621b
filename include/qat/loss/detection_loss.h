// The training loss of the anchor-free detector: a task-aligned label assigner,
// BCE classification with soft targets, and GIoU (+ optional L1) box regression.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace qat::loss {

struct DetectionLossOptions {
  double cls_weight = 1.0;
  double box_weight = 5.0;  ///< weight of the (1 - GIoU) term
  double l1_weight = 0.0;   ///< weight of L1 on xyxy / stride (0: off)
  int topk = 10;            ///< positives per ground-truth box, picked by alignment
  double center_radius = 2.5;  ///< candidate anchors lie within this many strides of a box centre
};

/// Which anchor learns which ground-truth box.
struct Assignment {
  at::Tensor positive;    ///< [B,A] bool
  at::Tensor gt_index;    ///< [B,A] int64 row of `targets` each positive learns; -1 elsewhere
  at::Tensor cls_target;  ///< [B,A,C] float soft classification target (0 for negatives)
  int64_t num_positive = 0;
};

/// The assigner, without autograd. For every ground-truth box (rows of `targets`
/// [T,6] = batch index, label, x1, y1, x2, y2) the candidates are the anchors whose centre
/// lies strictly inside the box or within center_radius * stride of its centre (per axis).
/// Alignment = sigmoid(logit of the box's class) * IoU(predicted box, box)^6. Positives:
/// the top-k candidates with alignment > 0, plus always the anchor whose centre is
/// nearest to the box centre (ties: lower anchor index) so that every box, however
/// small, gets a positive. An anchor claimed by several boxes keeps the one its
/// prediction overlaps most (ties: lower row).
///
/// Classification target of a positive: its IoU divided by the highest IoU among the
/// positives of the same box (1 when that is 0). The best-localised anchor of each box
/// learns 1 — scores reach a high deployed threshold (~0.7), which a plain IoU target
/// delays for most of training — while duplicates rank below it by localisation, so
/// NMS keeps the best box.
Assignment assign_targets(const at::Tensor& logits, const at::Tensor& boxes, const at::Tensor& anchor_points,
                          const at::Tensor& anchor_strides, const at::Tensor& targets,
                          const DetectionLossOptions& options);

struct LossParts {
  at::Tensor total;  ///< cls_weight * cls + box_weight * box + l1_weight * l1, a scalar with grad
  at::Tensor cls, box, l1;  ///< unweighted scalar parts
  int64_t num_positive = 0;
};

/// Loss of one batch. logits [B,A,C] (pre-sigmoid scores), boxes [B,A,4] decoded xyxy in
/// input pixels, anchor_points [A,2] (cx, cy), anchor_strides [A], targets [T,6].
/// cls: BCE-with-logits over every anchor and class against assign_targets()'s soft
/// targets, summed and divided by max(1, num_positive). box: sum of (1 - GIoU) over
/// positives / max(1, num_positive). l1: sum over positives of |box - gt|_1 / stride,
/// / max(1, num_positive). Gradients flow to logits and boxes.
LossParts detection_loss(const at::Tensor& logits, const at::Tensor& boxes, const at::Tensor& anchor_points,
                         const at::Tensor& anchor_strides, const at::Tensor& targets,
                         const DetectionLossOptions& options);

}  // namespace qat::loss
