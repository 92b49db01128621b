// Overlap measures between axis-aligned boxes in xyxy pixel coordinates.
#pragma once

#include <ATen/ATen.h>

namespace qat::metrics {

/// Pairwise IoU of every box in `a` [N,4] with every box in `b` [M,4] → [N,M].
/// Boxes are xyxy; degenerate boxes (x2<=x1 or y2<=y1) have zero area and IoU 0.
at::Tensor box_iou(const at::Tensor& a, const at::Tensor& b);

/// IoU of paired boxes: row i of `a` [N,4] with row i of `b` [N,4] → [N]. Differentiable.
at::Tensor paired_iou(const at::Tensor& a, const at::Tensor& b);

/// Generalized IoU of paired boxes (Rezatofighi et al. 2019):
/// IoU - (|C| - |A∪B|) / |C| with C the smallest enclosing box; in [-1,1]. [N,4] x [N,4] → [N].
/// Differentiable; used by the detection loss as 1 - GIoU.
at::Tensor giou(const at::Tensor& a, const at::Tensor& b);

}  // namespace qat::metrics
