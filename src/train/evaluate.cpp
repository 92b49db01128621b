#include "qat/train/evaluate.h"

#include <algorithm>

#include "qat/core/error.h"
#include "qat/metrics/map.h"

namespace qat::train {

Evaluation evaluate_detections(const DetectionSet& set, const GroundTruth& truth, int num_classes, double threshold,
                               double match_iou) {
  QAT_ASSERT(truth.boxes.size() == set.images.size() && truth.labels.size() == set.images.size(),
             "ground truth of ", truth.boxes.size(), " images for detections of ", set.images.size());
  metrics::MapEvaluator all(num_classes, match_iou);
  metrics::MapEvaluator deployed(num_classes, match_iou);
  // Every detection scores at least the floor: a lower threshold keeps them all.
  const auto kept = at_threshold(set, std::max(threshold, set.score_floor));
  for (size_t i = 0; i < set.images.size(); ++i) {
    all.add(set.images[i], truth.boxes[i], truth.labels[i]);
    deployed.add(kept[i], truth.boxes[i], truth.labels[i]);
  }
  Evaluation e;
  const auto r = all.result();
  e.map50 = r.map;
  e.ap_per_class = r.ap_per_class;
  const auto d = deployed.result();
  e.recall_at_threshold = d.recall_per_class;
  double sum = 0;
  int n = 0;
  for (size_t c = 0; c < d.recall_per_class.size(); ++c) {
    if (d.gt_per_class[c] > 0) {
      sum += d.recall_per_class[c];
      ++n;
    }
  }
  e.recall_at_threshold_mean = n ? sum / n : 0.0;
  e.images = static_cast<int64_t>(set.images.size());
  return e;
}

Evaluation evaluate_detector(const graph::Executor& exec, const model::DetectorInfo& info, data::DataLoader& loader,
                             const EvalSection& eval, dist::Group* group) {
  const DetectionSet set =
      collect_detections(exec, info, loader, eval, kMapScoreFloor, "mAP images", group, Truth::collect);
  return evaluate_detections(set, set.truth, static_cast<int>(info.num_classes), eval.score_threshold,
                             eval.match_iou);
}

}  // namespace qat::train
