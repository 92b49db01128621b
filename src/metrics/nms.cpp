#include "qat/metrics/nms.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "qat/core/detail/shape_check.h"
#include "qat/core/error.h"

namespace qat::metrics {

at::Tensor nms(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold,
               std::optional<int64_t> max_keep) {
  QAT_CHECK(!max_keep || *max_keep > 0, "nms: max_keep must be positive, got ", max_keep.value_or(0));
  detail::check_shape(boxes, {-1, 4}, "[K,4]", "nms", "boxes");
  detail::check_shape(scores, {boxes.size(0)}, "[" + std::to_string(boxes.size(0)) + "]", "nms", "scores");
  at::NoGradGuard no_grad;
  // Double precision: batched_nms shifts boxes by large offsets, where float would
  // lose the sub-pixel detail that decides IoU near the threshold.
  const auto b = boxes.to(at::kCPU, at::kDouble).contiguous();
  const auto s = scores.to(at::kCPU, at::kDouble).contiguous();
  const int64_t k = b.size(0);
  const double* bp = b.data_ptr<double>();
  const double* sp = s.data_ptr<double>();

  std::vector<int64_t> order(static_cast<size_t>(k));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [sp](int64_t i, int64_t j) { return sp[i] > sp[j]; });

  // A box is suppressed iff it overlaps a kept, earlier box: checking each candidate
  // against the kept list costs O(K * kept) and allows stopping at max_keep.
  std::vector<int64_t> kept;
  std::vector<double> kept_area;
  for (const int64_t i : order) {
    if (max_keep && static_cast<int64_t>(kept.size()) >= *max_keep) break;
    const double* bi = bp + 4 * i;
    const double area_i = std::max(0.0, bi[2] - bi[0]) * std::max(0.0, bi[3] - bi[1]);
    bool suppressed = false;
    for (size_t j = 0; j < kept.size() && !suppressed; ++j) {
      const double* bj = bp + 4 * kept[j];
      const double w = std::min(bi[2], bj[2]) - std::max(bi[0], bj[0]);
      const double h = std::min(bi[3], bj[3]) - std::max(bi[1], bj[1]);
      if (w <= 0 || h <= 0) continue;
      const double inter = w * h;
      const double uni = area_i + kept_area[j] - inter;
      suppressed = uni > 0 && inter / uni > iou_threshold;
    }
    if (!suppressed) {
      kept.push_back(i);
      kept_area.push_back(area_i);
    }
  }
  return at::tensor(kept, at::kLong).reshape({static_cast<int64_t>(kept.size())});
}

at::Tensor batched_nms(const at::Tensor& boxes, const at::Tensor& scores, const at::Tensor& labels,
                       double iou_threshold, std::optional<int64_t> max_keep) {
  detail::check_shape(boxes, {-1, 4}, "[K,4]", "batched_nms", "boxes");
  detail::check_shape(labels, {boxes.size(0)}, "[" + std::to_string(boxes.size(0)) + "]", "batched_nms",
                      "labels");
  if (boxes.size(0) == 0) return at::empty({0}, at::kLong);
  at::NoGradGuard no_grad;
  const auto b = boxes.to(at::kCPU, at::kDouble);
  const double span = (b.max() - b.min()).item<double>() + 1.0;
  const auto offset = labels.to(at::kCPU, at::kDouble).mul(span).unsqueeze(1);
  return nms(b + offset, scores, iou_threshold, max_keep);
}

}  // namespace qat::metrics
