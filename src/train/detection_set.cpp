#include "qat/train/detection_set.h"

#include "qat/core/error.h"
#include "qat/core/progress.h"
#include "qat/data/loader.h"
#include "train/distributed.h"

namespace qat::train {

void GroundTruth::add(const data::Batch& batch) {
  const auto targets = batch.targets.cpu();  // scored on the host, as the detections are
  const auto image_index = targets.select(1, 0).to(at::kLong);
  for (int64_t i = 0; i < batch.images.size(0); ++i) {
    const auto rows = targets.index({image_index == i});
    boxes.push_back(rows.slice(1, 2, 6));
    labels.push_back(rows.select(1, 1).to(at::kLong));
  }
}

DetectionSet collect_detections(const graph::Executor& executor, const model::DetectorInfo& info,
                                data::DataLoader& loader, const EvalSection& eval, double score_floor,
                                const std::string& what, dist::Group* group, Truth truth) {
  at::NoGradGuard no_grad;
  DetectionSet set;
  set.score_floor = score_floor;
  std::vector<int64_t> indices;  // the dataset index of each image, for the gather
  Progress progress(what, loader.images());
  loader.begin_epoch(0);
  while (auto batch = loader.next()) {
    const auto out = executor.run({{info.input, batch->images}});
    auto dets = metrics::postprocess(out.at(info.boxes), out.at(info.scores), score_floor, eval.nms_iou,
                                     eval.max_detections);
    for (auto& d : dets) set.images.push_back(std::move(d));
    if (truth == Truth::collect) set.truth.add(*batch);
    indices.insert(indices.end(), batch->indices.begin(), batch->indices.end());
    progress.update(static_cast<int64_t>(set.images.size()));
  }
  return gather_detections(group, std::move(set), indices, truth);
}

namespace {

metrics::Detections select(const metrics::Detections& d, const at::Tensor& keep) {
  return {d.boxes.index({keep}), d.scores.index({keep}), d.labels.index({keep})};
}

}  // namespace

std::vector<metrics::Detections> at_threshold(const DetectionSet& set, double threshold) {
  QAT_ASSERT(threshold >= set.score_floor, "threshold ", threshold, " below the collected floor ", set.score_floor);
  std::vector<metrics::Detections> out;
  out.reserve(set.images.size());
  for (const auto& d : set.images) out.push_back(select(d, d.scores >= threshold));
  return out;
}

metrics::BehaviourStats behaviour(const DetectionSet& teacher, double teacher_threshold, const DetectionSet& student,
                                  double student_threshold, int num_classes, double match_iou) {
  QAT_ASSERT(teacher.images.size() == student.images.size(), "teacher and student saw different images");
  const auto t = at_threshold(teacher, teacher_threshold);
  const auto s = at_threshold(student, student_threshold);
  metrics::BehaviourMeter meter(num_classes, match_iou);
  // The student's detections between its floor and the threshold tell below-threshold misses apart.
  for (size_t i = 0; i < t.size(); ++i) {
    const auto& d = student.images[i];
    const auto below = select(d, d.scores < student_threshold);
    meter.add(t[i], s[i], &below);
  }
  return meter.result();
}

}  // namespace qat::train
