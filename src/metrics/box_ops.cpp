#include "qat/metrics/box_ops.h"

#include "qat/core/detail/shape_check.h"

namespace qat::metrics {

namespace {

// Keeps 0/0 (two empty boxes) at IoU 0 instead of NaN without moving real values:
// any non-empty union of pixel boxes is far above this.
constexpr double kEps = 1e-9;

at::Tensor area(const at::Tensor& b) {
  return (b.select(-1, 2) - b.select(-1, 0)).clamp_min(0) * (b.select(-1, 3) - b.select(-1, 1)).clamp_min(0);
}

void check_pair(const at::Tensor& a, const at::Tensor& b, const char* what) {
  detail::check_shape(a, {-1, 4}, "[N,4]", what, "a");
  detail::check_shape(b, {a.size(0), 4}, "[" + std::to_string(a.size(0)) + ",4] like a", what, "b");
}

// Intersection and union areas of paired boxes.
std::pair<at::Tensor, at::Tensor> inter_union(const at::Tensor& a, const at::Tensor& b) {
  const auto lt = at::max(a.slice(-1, 0, 2), b.slice(-1, 0, 2));
  const auto rb = at::min(a.slice(-1, 2, 4), b.slice(-1, 2, 4));
  const auto wh = (rb - lt).clamp_min(0);
  const auto inter = wh.select(-1, 0) * wh.select(-1, 1);
  return {inter, area(a) + area(b) - inter};
}

}  // namespace

at::Tensor box_iou(const at::Tensor& a, const at::Tensor& b) {
  detail::check_shape(a, {-1, 4}, "[N,4]", "box_iou", "a");
  detail::check_shape(b, {-1, 4}, "[M,4]", "box_iou", "b");
  // Broadcast [N,1,4] against [1,M,4].
  const auto [inter, uni] = inter_union(a.unsqueeze(1), b.unsqueeze(0));
  return inter / uni.clamp_min(kEps);
}

at::Tensor paired_iou(const at::Tensor& a, const at::Tensor& b) {
  check_pair(a, b, "paired_iou");
  const auto [inter, uni] = inter_union(a, b);
  return inter / uni.clamp_min(kEps);
}

at::Tensor giou(const at::Tensor& a, const at::Tensor& b) {
  check_pair(a, b, "giou");
  const auto [inter, uni] = inter_union(a, b);
  const auto lt = at::min(a.slice(-1, 0, 2), b.slice(-1, 0, 2));
  const auto rb = at::max(a.slice(-1, 2, 4), b.slice(-1, 2, 4));
  const auto wh = (rb - lt).clamp_min(0);
  const auto enclose = (wh.select(-1, 0) * wh.select(-1, 1)).clamp_min(kEps);
  return inter / uni.clamp_min(kEps) - (enclose - uni) / enclose;
}

}  // namespace qat::metrics
