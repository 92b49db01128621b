#include "qat/train/evaluate.h"

#include <cmath>

#include "qat/data/loader.h"
#include "qat/graph/executor.h"
#include "qat/metrics/detections.h"
#include "qat/metrics/map.h"

namespace qat::train {

namespace {
constexpr double kMapScoreFloor = 0.001;
}

Evaluation evaluate_detector(const graph::Executor& exec, const model::DetectorInfo& info,
                             data::DataLoader& loader, const EvalSection& eval) {
  at::NoGradGuard no_grad;
  const int64_t num_classes = info.num_classes;
  metrics::MapEvaluator all(static_cast<int>(num_classes), eval.match_iou);
  metrics::MapEvaluator deployed(static_cast<int>(num_classes), eval.match_iou);
  int64_t images = 0;
  loader.begin_epoch(0);
  while (auto batch = loader.next()) {
    const auto out = exec.run({{info.input, batch->images}});
    const auto& boxes = out.at(info.boxes);
    const auto& scores = out.at(info.scores);
    const auto dets = metrics::postprocess(boxes, scores, kMapScoreFloor, eval.nms_iou, eval.max_detections);
    const auto image_index = batch->targets.select(1, 0).to(at::kLong);
    for (int64_t i = 0; i < static_cast<int64_t>(dets.size()); ++i) {
      const auto rows = batch->targets.index({image_index == i});
      const auto gt_boxes = rows.slice(1, 2, 6);
      const auto gt_labels = rows.select(1, 1).to(at::kLong);
      all.add(dets[i], gt_boxes, gt_labels);
      const auto keep = dets[i].scores >= eval.score_threshold;
      deployed.add({dets[i].boxes.index({keep}), dets[i].scores.index({keep}), dets[i].labels.index({keep})},
                   gt_boxes, gt_labels);
    }
    images += static_cast<int64_t>(dets.size());
  }
  return evaluation_of(all, deployed, images);
}

Evaluation evaluation_of(const metrics::MapEvaluator& all, const metrics::MapEvaluator& deployed, int64_t images) {
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
  e.images = images;
  return e;
}

}  // namespace qat::train
