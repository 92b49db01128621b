// Greedy non-maximum suppression on CPU tensors, deterministic under ties.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <optional>

namespace qat::metrics {

/// Greedy NMS: visits boxes by score descending (equal scores: lower index first) and
/// keeps a box unless its IoU with an already kept box is > `iou_threshold`.
/// boxes [K,4] xyxy, scores [K]; returns the kept indices, int64 [K'], in visiting order
/// (score descending). Stops after `max_keep` boxes when given (it must be positive) —
/// the result is then exactly the first max_keep boxes of the unlimited result.
at::Tensor nms(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold,
               std::optional<int64_t> max_keep = std::nullopt);

/// NMS within each label only: boxes of different labels never suppress each other.
/// Shifts each label's boxes by label * (coordinate span + 1) so that they cannot overlap
/// (the coordinate-offset trick), then runs nms(). labels [K] integer.
at::Tensor batched_nms(const at::Tensor& boxes, const at::Tensor& scores, const at::Tensor& labels,
                       double iou_threshold, std::optional<int64_t> max_keep = std::nullopt);

}  // namespace qat::metrics
