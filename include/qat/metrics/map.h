// Mean average precision at one IoU threshold (VOC / COCO all-point interpolation).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "qat/metrics/detections.h"

namespace qat::metrics {

struct MapResult {
  double map = 0;  ///< mean AP over classes with ground truth; 0 when no class has any
  std::vector<double> ap_per_class;      ///< NaN for classes without ground truth
  std::vector<double> recall_per_class;  ///< matched GT / GT over all detections given; NaN without GT
  std::vector<int64_t> gt_per_class;
};

/// Accumulates detections and ground truth image by image; result() scores them.
/// Matching per image, detections by score descending (ties: lower index first):
/// a detection is a true positive when some still unmatched ground-truth box of the
/// same class has IoU >= iou_threshold with it; it takes the one with highest IoU.
/// AP is the area under the precision envelope (all-point interpolation).
class MapEvaluator {
 public:
  explicit MapEvaluator(int num_classes, double iou_threshold = 0.5);

  /// One image: `det` (any order), gt_boxes [G,4] xyxy, gt_labels [G] integer class indices.
  void add(const Detections& det, const at::Tensor& gt_boxes, const at::Tensor& gt_labels);

  MapResult result() const;

  int num_classes() const { return num_classes_; }

 private:
  struct Record {
    double score;
    bool true_positive;
  };
  int num_classes_;
  double iou_threshold_;
  std::vector<std::vector<Record>> records_;  ///< per class, in the order added
  std::vector<int64_t> gt_count_;
};

/// Area under the all-point interpolated precision/recall curve of detections sorted by
/// score descending, `true_positive` flags in that order, against `num_gt` ground truths.
double average_precision(const std::vector<bool>& true_positive, int64_t num_gt);

}  // namespace qat::metrics
