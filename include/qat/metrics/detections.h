// Final detections of one image, and the post-processing that turns detector outputs into them.
#pragma once

#include <ATen/ATen.h>

#include <vector>

namespace qat::metrics {

/// The detections of one image, sorted by score descending.
struct Detections {
  at::Tensor boxes;   ///< [K,4] float, xyxy in input pixels
  at::Tensor scores;  ///< [K] float in [0,1]
  at::Tensor labels;  ///< [K] int64 class indices
};

/// Detector outputs → detections, one entry per image.
/// boxes [B,A,4] xyxy, scores [B,A,C] in [0,1]. Every (anchor, class) pair with
/// score >= score_threshold is a candidate (multi-label: one anchor may yield several
/// classes); candidates go through per-class NMS (IoU > nms_iou suppresses; see nms.h),
/// and the max_detections best survivors are kept, sorted by score descending
/// (equal scores: lower anchor, then lower class first). Runs without autograd.
std::vector<Detections> postprocess(const at::Tensor& boxes, const at::Tensor& scores, double score_threshold,
                                    double nms_iou, int max_detections);

}  // namespace qat::metrics
