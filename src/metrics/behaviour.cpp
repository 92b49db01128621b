#include "qat/metrics/behaviour.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "qat/core/detail/shape_check.h"
#include "qat/metrics/box_ops.h"

namespace qat::metrics {

namespace {

void check_detections(const Detections& d, const char* name) {
  detail::check_shape(d.boxes, {-1, 4}, "[K,4]", "BehaviourMeter::add", std::string(name) + " boxes");
  const std::string k = "[" + std::to_string(d.boxes.size(0)) + "]";
  detail::check_shape(d.scores, {d.boxes.size(0)}, k, "BehaviourMeter::add", std::string(name) + " scores");
  detail::check_shape(d.labels, {d.boxes.size(0)}, k, "BehaviourMeter::add", std::string(name) + " labels");
}

}  // namespace

BehaviourMeter::BehaviourMeter(int num_classes, double match_iou) : num_classes_(num_classes), match_iou_(match_iou) {
  QAT_CHECK(num_classes > 0, "BehaviourMeter: num_classes must be positive, got ", num_classes);
  QAT_CHECK(match_iou > 0 && match_iou <= 1, "BehaviourMeter: match_iou must be in (0,1], got ", match_iou);
  teacher_per_class_.assign(static_cast<size_t>(num_classes), 0);
  matched_per_class_.assign(static_cast<size_t>(num_classes), 0);
}

void BehaviourMeter::add(const Detections& teacher, const Detections& student, const Detections* student_below) {
  check_detections(teacher, "teacher");
  check_detections(student, "student");
  if (student_below) check_detections(*student_below, "student_below");
  at::NoGradGuard no_grad;
  const auto tl = teacher.labels.to(at::kCPU, at::kLong).contiguous();
  const auto sl = student.labels.to(at::kCPU, at::kLong).contiguous();
  const auto ts = teacher.scores.to(at::kCPU, at::kDouble).contiguous();
  const auto ss = student.scores.to(at::kCPU, at::kDouble).contiguous();
  const int64_t nt = tl.size(0), ns = sl.size(0);
  const int64_t* tlp = tl.data_ptr<int64_t>();
  const int64_t* slp = sl.data_ptr<int64_t>();
  const double* tsp = ts.data_ptr<double>();
  const double* ssp = ss.data_ptr<double>();
  for (int64_t i = 0; i < nt; ++i) {
    QAT_CHECK(tlp[i] >= 0 && tlp[i] < num_classes_, "BehaviourMeter::add: teacher label ", tlp[i],
              " is outside [0,", num_classes_, ")");
  }
  for (int64_t j = 0; j < ns; ++j) {
    QAT_CHECK(slp[j] >= 0 && slp[j] < num_classes_, "BehaviourMeter::add: student label ", slp[j],
              " is outside [0,", num_classes_, ")");
  }
  teacher_count_ += nt;
  student_count_ += ns;
  for (int64_t i = 0; i < nt; ++i) ++teacher_per_class_[static_cast<size_t>(tlp[i])];
  if (nt == 0) return;

  const auto tb = teacher.boxes.to(at::kCPU, at::kDouble);
  const auto iou = box_iou(tb, student.boxes.to(at::kCPU, at::kDouble)).contiguous();
  const double* iou_p = iou.data_ptr<double>();
  std::vector<int64_t> order(static_cast<size_t>(nt));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [tsp](int64_t a, int64_t b) { return tsp[a] > tsp[b]; });
  std::vector<bool> taken(static_cast<size_t>(ns), false), matched(static_cast<size_t>(nt), false);
  for (const int64_t i : order) {
    int64_t best = -1;
    double best_iou = match_iou_;
    for (int64_t j = 0; j < ns; ++j) {
      const double v = iou_p[i * ns + j];
      if (taken[static_cast<size_t>(j)] || slp[j] != tlp[i] || v < best_iou || (best >= 0 && v == best_iou)) {
        continue;
      }
      best = j;
      best_iou = v;
    }
    if (best < 0) continue;
    taken[static_cast<size_t>(best)] = true;
    matched[static_cast<size_t>(i)] = true;
    ++matched_per_class_[static_cast<size_t>(tlp[i])];
    ious_.push_back(best_iou);
    score_errors_.push_back(std::abs(ssp[best] - tsp[i]));
  }

  // Misses, by their first applicable cause.
  at::Tensor below_iou, below_labels;
  if (student_below && student_below->boxes.size(0) > 0) {
    below_iou = box_iou(tb, student_below->boxes.to(at::kCPU, at::kDouble)).contiguous();
    below_labels = student_below->labels.to(at::kCPU, at::kLong).contiguous();
  }
  for (int64_t i = 0; i < nt; ++i) {
    if (matched[static_cast<size_t>(i)]) continue;
    missed_teacher_scores_.push_back(tsp[i]);
    bool below = false, wrong_class = false, box = false;
    if (below_iou.defined()) {
      const int64_t nb = below_iou.size(1);
      const double* bi = below_iou.data_ptr<double>() + i * nb;
      const int64_t* bl = below_labels.data_ptr<int64_t>();
      for (int64_t j = 0; j < nb && !below; ++j) below = bl[j] == tlp[i] && bi[j] >= match_iou_;
    }
    for (int64_t j = 0; j < ns; ++j) {
      const double v = iou_p[i * ns + j];
      wrong_class = wrong_class || (slp[j] != tlp[i] && v >= match_iou_);
      box = box || (slp[j] == tlp[i] && v > 0);
    }
    if (below) {
      ++misses_.below_threshold;
    } else if (wrong_class) {
      ++misses_.wrong_class;
    } else if (box) {
      ++misses_.box;
    } else {
      ++misses_.absent;
    }
  }
}

BehaviourStats BehaviourMeter::result() const {
  BehaviourStats r;
  r.teacher_count = teacher_count_;
  r.student_count = student_count_;
  r.matched = static_cast<int64_t>(ious_.size());
  r.recall = teacher_count_ ? static_cast<double>(r.matched) / teacher_count_ : 1.0;
  r.precision_agreement = student_count_ ? static_cast<double>(r.matched) / student_count_ : 1.0;
  if (!ious_.empty()) {
    auto sorted = ious_;
    std::sort(sorted.begin(), sorted.end());
    const size_t n = sorted.size();
    r.median_iou = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    r.confidence_mae = std::accumulate(score_errors_.begin(), score_errors_.end(), 0.0) / n;
  }
  r.teacher_per_class = teacher_per_class_;
  r.misses = misses_;
  r.missed_teacher_scores = missed_teacher_scores_;
  std::sort(r.missed_teacher_scores.begin(), r.missed_teacher_scores.end());
  for (size_t c = 0; c < teacher_per_class_.size(); ++c) {
    r.recall_per_class.push_back(
        teacher_per_class_[c] ? static_cast<double>(matched_per_class_[c]) / teacher_per_class_[c] : 1.0);
  }
  return r;
}

}  // namespace qat::metrics
