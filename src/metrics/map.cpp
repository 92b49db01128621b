#include "qat/metrics/map.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "qat/core/detail/shape_check.h"
#include "qat/metrics/box_ops.h"

namespace qat::metrics {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

MapEvaluator::MapEvaluator(int num_classes, double iou_threshold)
    : num_classes_(num_classes), iou_threshold_(iou_threshold) {
  QAT_CHECK(num_classes > 0, "MapEvaluator: num_classes must be positive, got ", num_classes);
  QAT_CHECK(iou_threshold > 0 && iou_threshold <= 1, "MapEvaluator: iou_threshold must be in (0,1], got ",
            iou_threshold);
  records_.resize(static_cast<size_t>(num_classes));
  gt_count_.assign(static_cast<size_t>(num_classes), 0);
}

void MapEvaluator::add(const Detections& det, const at::Tensor& gt_boxes, const at::Tensor& gt_labels) {
  detail::check_shape(det.boxes, {-1, 4}, "[K,4]", "MapEvaluator::add", "detection boxes");
  const std::string k = "[" + std::to_string(det.boxes.size(0)) + "]";
  detail::check_shape(det.scores, {det.boxes.size(0)}, k, "MapEvaluator::add", "detection scores");
  detail::check_shape(det.labels, {det.boxes.size(0)}, k, "MapEvaluator::add", "detection labels");
  detail::check_shape(gt_boxes, {-1, 4}, "[G,4]", "MapEvaluator::add", "gt_boxes");
  detail::check_shape(gt_labels, {gt_boxes.size(0)}, "[" + std::to_string(gt_boxes.size(0)) + "]",
                      "MapEvaluator::add", "gt_labels");
  at::NoGradGuard no_grad;
  const auto dl = det.labels.to(at::kCPU, at::kLong).contiguous();
  const auto ds = det.scores.to(at::kCPU, at::kDouble).contiguous();
  const auto gl = gt_labels.to(at::kCPU, at::kLong).contiguous();
  const int64_t nd = dl.size(0), ng = gl.size(0);
  const int64_t* dlp = dl.data_ptr<int64_t>();
  const double* dsp = ds.data_ptr<double>();
  const int64_t* glp = gl.data_ptr<int64_t>();
  for (int64_t i = 0; i < nd; ++i) {
    QAT_CHECK(dlp[i] >= 0 && dlp[i] < num_classes_, "MapEvaluator::add: detection label ", dlp[i],
              " is outside [0,", num_classes_, ")");
  }
  for (int64_t g = 0; g < ng; ++g) {
    QAT_CHECK(glp[g] >= 0 && glp[g] < num_classes_, "MapEvaluator::add: ground-truth label ", glp[g],
              " is outside [0,", num_classes_, ")");
    ++gt_count_[static_cast<size_t>(glp[g])];
  }
  if (nd == 0) return;

  const auto iou = box_iou(det.boxes.to(at::kCPU, at::kDouble), gt_boxes.to(at::kCPU, at::kDouble)).contiguous();
  const double* iou_p = iou.data_ptr<double>();
  std::vector<int64_t> order(static_cast<size_t>(nd));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [dsp](int64_t a, int64_t b) { return dsp[a] > dsp[b]; });
  std::vector<bool> matched(static_cast<size_t>(ng), false);
  for (const int64_t i : order) {
    int64_t best = -1;
    double best_iou = iou_threshold_;
    for (int64_t g = 0; g < ng; ++g) {
      const double v = iou_p[i * ng + g];
      if (matched[static_cast<size_t>(g)] || glp[g] != dlp[i] || v < best_iou || (best >= 0 && v == best_iou)) {
        continue;
      }
      best = g;
      best_iou = v;
    }
    if (best >= 0) matched[static_cast<size_t>(best)] = true;
    records_[static_cast<size_t>(dlp[i])].push_back({dsp[i], best >= 0});
  }
}

double average_precision(const std::vector<bool>& true_positive, int64_t num_gt) {
  if (num_gt <= 0) return kNaN;
  const size_t n = true_positive.size();
  std::vector<double> recall(n), precision(n);
  int64_t tp = 0;
  for (size_t i = 0; i < n; ++i) {
    tp += true_positive[i] ? 1 : 0;
    recall[i] = static_cast<double>(tp) / static_cast<double>(num_gt);
    precision[i] = static_cast<double>(tp) / static_cast<double>(i + 1);
  }
  // Precision envelope: the best precision at this recall or any higher one.
  for (size_t i = n; i-- > 1;) precision[i - 1] = std::max(precision[i - 1], precision[i]);
  double ap = 0, prev_recall = 0;
  for (size_t i = 0; i < n; ++i) {
    ap += (recall[i] - prev_recall) * precision[i];
    prev_recall = recall[i];
  }
  return ap;
}

MapResult MapEvaluator::result() const {
  MapResult r;
  r.gt_per_class = gt_count_;
  double sum = 0;
  int with_gt = 0;
  for (size_t c = 0; c < records_.size(); ++c) {
    auto recs = records_[c];
    // Across images, equal scores keep the order they were added in.
    std::stable_sort(recs.begin(), recs.end(), [](const Record& a, const Record& b) { return a.score > b.score; });
    std::vector<bool> tp(recs.size());
    int64_t matched = 0;
    for (size_t i = 0; i < recs.size(); ++i) {
      tp[i] = recs[i].true_positive;
      matched += tp[i] ? 1 : 0;
    }
    const double ap = average_precision(tp, gt_count_[c]);
    r.ap_per_class.push_back(ap);
    r.recall_per_class.push_back(gt_count_[c] > 0 ? static_cast<double>(matched) / gt_count_[c] : kNaN);
    if (gt_count_[c] > 0) {
      sum += ap;
      ++with_gt;
    }
  }
  r.map = with_gt ? sum / with_gt : 0.0;
  return r;
}

}  // namespace qat::metrics
