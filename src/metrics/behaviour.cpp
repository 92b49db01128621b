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

void check_labels(const int64_t* labels, int64_t n, int num_classes, const char* who) {
  for (int64_t i = 0; i < n; ++i) {
    QAT_CHECK(labels[i] >= 0 && labels[i] < num_classes, "BehaviourMeter::add: ", who, " label ", labels[i],
              " is outside [0,", num_classes, ")");
  }
}

// One image's detections on the CPU: labels, scores, and the teacher x student IoU.
struct ImageView {
  int64_t nt = 0, ns = 0;
  const int64_t* tl = nullptr;
  const int64_t* sl = nullptr;
  const double* ts = nullptr;
  const double* ss = nullptr;
  const double* iou = nullptr;  // [nt, ns]
};

struct Match {
  int64_t teacher, student;
  double iou;
};

// Teachers by falling score each take the free same-class student of highest IoU
// (at least match_iou; the first on ties).
std::vector<Match> greedy_matches(const ImageView& v, double match_iou) {
  std::vector<int64_t> order(static_cast<size_t>(v.nt));
  std::iota(order.begin(), order.end(), int64_t{0});
  const double* tsp = v.ts;
  std::stable_sort(order.begin(), order.end(), [tsp](int64_t a, int64_t b) { return tsp[a] > tsp[b]; });
  std::vector<bool> taken(static_cast<size_t>(v.ns), false);
  std::vector<Match> matches;
  for (const int64_t i : order) {
    int64_t best = -1;
    double best_iou = match_iou;
    for (int64_t j = 0; j < v.ns; ++j) {
      const double u = v.iou[i * v.ns + j];
      if (taken[static_cast<size_t>(j)] || v.sl[j] != v.tl[i] || u < best_iou || (best >= 0 && u == best_iou)) {
        continue;
      }
      best = j;
      best_iou = u;
    }
    if (best < 0) continue;
    taken[static_cast<size_t>(best)] = true;
    matches.push_back({i, best, best_iou});
  }
  return matches;
}

// The student's below-threshold detections, matched against the teacher's boxes.
struct BelowThreshold {
  at::Tensor iou, labels;  // undefined when there are none
};

// Counts an unmatched teacher detection under its first applicable cause.
void count_miss(const ImageView& v, const BelowThreshold& below_threshold, int64_t i, double match_iou,
                MissCauses& misses) {
  bool below = false, wrong_class = false, box = false;
  if (below_threshold.iou.defined()) {
    const int64_t nb = below_threshold.iou.size(1);
    const double* bi = below_threshold.iou.data_ptr<double>() + i * nb;
    const int64_t* bl = below_threshold.labels.data_ptr<int64_t>();
    for (int64_t j = 0; j < nb && !below; ++j) below = bl[j] == v.tl[i] && bi[j] >= match_iou;
  }
  for (int64_t j = 0; j < v.ns; ++j) {
    const double u = v.iou[i * v.ns + j];
    wrong_class = wrong_class || (v.sl[j] != v.tl[i] && u >= match_iou);
    box = box || (v.sl[j] == v.tl[i] && u > 0);
  }
  if (below) {
    ++misses.below_threshold;
  } else if (wrong_class) {
    ++misses.wrong_class;
  } else if (box) {
    ++misses.box;
  } else {
    ++misses.absent;
  }
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
  ImageView v;
  v.nt = tl.size(0);
  v.ns = sl.size(0);
  v.tl = tl.data_ptr<int64_t>();
  v.sl = sl.data_ptr<int64_t>();
  v.ts = ts.data_ptr<double>();
  v.ss = ss.data_ptr<double>();
  check_labels(v.tl, v.nt, num_classes_, "teacher");
  check_labels(v.sl, v.ns, num_classes_, "student");
  teacher_count_ += v.nt;
  student_count_ += v.ns;
  for (int64_t i = 0; i < v.nt; ++i) ++teacher_per_class_[static_cast<size_t>(v.tl[i])];
  if (v.nt == 0) return;

  const auto tb = teacher.boxes.to(at::kCPU, at::kDouble);
  const auto iou = box_iou(tb, student.boxes.to(at::kCPU, at::kDouble)).contiguous();
  v.iou = iou.data_ptr<double>();
  std::vector<bool> matched(static_cast<size_t>(v.nt), false);
  for (const Match& m : greedy_matches(v, match_iou_)) {
    matched[static_cast<size_t>(m.teacher)] = true;
    ++matched_per_class_[static_cast<size_t>(v.tl[m.teacher])];
    ious_.push_back(m.iou);
    score_errors_.push_back(std::abs(v.ss[m.student] - v.ts[m.teacher]));
  }

  BelowThreshold below;
  if (student_below && student_below->boxes.size(0) > 0) {
    below.iou = box_iou(tb, student_below->boxes.to(at::kCPU, at::kDouble)).contiguous();
    below.labels = student_below->labels.to(at::kCPU, at::kLong).contiguous();
  }
  for (int64_t i = 0; i < v.nt; ++i) {
    if (matched[static_cast<size_t>(i)]) continue;
    missed_teacher_scores_.push_back(v.ts[i]);
    count_miss(v, below, i, match_iou_, misses_);
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
  r.matched_per_class = matched_per_class_;
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
