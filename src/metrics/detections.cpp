#include "qat/metrics/detections.h"

#include "qat/core/detail/shape_check.h"
#include "qat/metrics/nms.h"

namespace qat::metrics {

std::vector<Detections> postprocess(const at::Tensor& boxes, const at::Tensor& scores, double score_threshold,
                                    double nms_iou, int max_detections) {
  detail::check_shape(boxes, {-1, -1, 4}, "[B,A,4]", "postprocess", "boxes");
  detail::check_shape(scores, {boxes.size(0), boxes.size(1), -1},
                      "[" + std::to_string(boxes.size(0)) + "," + std::to_string(boxes.size(1)) + ",C]",
                      "postprocess", "scores");
  QAT_CHECK(max_detections > 0, "postprocess: max_detections must be positive, got ", max_detections);
  QAT_CHECK(nms_iou >= 0 && nms_iou <= 1, "postprocess: nms_iou must be in [0,1], got ", nms_iou);
  at::NoGradGuard no_grad;
  const auto all_boxes = boxes.to(at::kCPU, at::kFloat).contiguous();
  const auto all_scores = scores.to(at::kCPU, at::kFloat).contiguous();
  const int64_t num_classes = all_scores.size(2);

  std::vector<Detections> out;
  out.reserve(static_cast<size_t>(all_boxes.size(0)));
  for (int64_t i = 0; i < all_boxes.size(0); ++i) {
    const auto s = all_scores[i].reshape({-1});
    // Flat index anchor * C + class, ascending: the NMS tie-break order.
    const auto flat = at::nonzero(s >= score_threshold).reshape({-1});
    const auto cand_scores = s.index_select(0, flat);
    const auto anchors = at::div(flat, num_classes, "floor");
    const auto labels = flat.remainder(num_classes);
    const auto cand_boxes = all_boxes[i].index_select(0, anchors);
    const auto keep = batched_nms(cand_boxes, cand_scores, labels, nms_iou, max_detections);
    out.push_back({cand_boxes.index_select(0, keep), cand_scores.index_select(0, keep), labels.index_select(0, keep)});
  }
  return out;
}

}  // namespace qat::metrics
