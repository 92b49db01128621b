// Detections of one model over a whole split, kept in memory so behaviour can
// be measured at many thresholds (threshold search) without re-running the model.
#pragma once

#include <string>
#include <vector>

#include "qat/graph/executor.h"
#include "qat/metrics/behaviour.h"
#include "qat/metrics/detections.h"
#include "qat/model/detector.h"
#include "qat/recipe/sections.h"

namespace qat::data {
class DataLoader;
struct Batch;
}  // namespace qat::data
namespace qat::dist { class Group; }

namespace qat::train {

/// The ground truth of images, one entry per image.
struct GroundTruth {
  std::vector<at::Tensor> boxes;   ///< per image [G,4] float, xyxy in input pixels
  std::vector<at::Tensor> labels;  ///< per image [G] int64 class indices
  /// Appends the ground truth of each image of `batch`.
  void add(const data::Batch& batch);
};

struct DetectionSet {
  double score_floor = 0;                     ///< detections below it were dropped
  std::vector<metrics::Detections> images;    ///< per image, after NMS, in loader order
  GroundTruth truth;                          ///< per image, when collected with Truth::collect
};

/// Whether collect_detections keeps the images' ground truth too (for mAP).
enum class Truth { skip, collect };

/// Runs `executor` (a detector graph) over one pass of `loader` and keeps the
/// detections scoring at least `score_floor`. Progress lines start with `what`.
/// With `group`, `loader` reads this rank's shard of the split in file order
/// (RunContext::loader(LoaderPurpose::eval, ...)) and every rank returns the whole
/// split's detections, gathered from the ranks and put in image order: the set one
/// process computes (gather_detections in train/distributed.h). With Truth::collect the
/// set holds the images' ground truth too, gathered the same way.
DetectionSet collect_detections(const graph::Executor& executor, const model::DetectorInfo& info,
                                data::DataLoader& loader, const EvalSection& eval, double score_floor,
                                const std::string& what = "detections images", dist::Group* group = nullptr,
                                Truth truth = Truth::skip);

/// `set` with only the detections scoring at least `threshold` (>= set.score_floor).
std::vector<metrics::Detections> at_threshold(const DetectionSet& set, double threshold);

/// Student behaviour against the teacher: teacher detections at `teacher_threshold`
/// are the reference, student detections at `student_threshold` are matched to them.
metrics::BehaviourStats behaviour(const DetectionSet& teacher, double teacher_threshold, const DetectionSet& student,
                                  double student_threshold, int num_classes, double match_iou);

}  // namespace qat::train
