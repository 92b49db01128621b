#include "qat/loss/detection_loss.h"

#include <algorithm>
#include <string>

#include "qat/core/detail/shape_check.h"
#include "qat/core/error.h"
#include "qat/metrics/box_ops.h"

namespace qat::loss {

namespace {

using detail::check_shape;

// The exponent of IoU in the alignment metric (TOOD uses 6): localisation dominates,
// so positives are anchors whose boxes already fit, not merely confident ones.
constexpr double kIouPower = 6.0;

std::string dims(std::initializer_list<int64_t> d) {
  std::string out = "[";
  for (auto it = d.begin(); it != d.end(); ++it) out += (it == d.begin() ? "" : ",") + std::to_string(*it);
  return out + "]";
}

void validate(const at::Tensor& logits, const at::Tensor& boxes, const at::Tensor& anchor_points,
              const at::Tensor& anchor_strides, const at::Tensor& targets, const DetectionLossOptions& options) {
  const char* what = "detection_loss";
  check_shape(logits, {-1, -1, -1}, "[B,A,C]", what, "logits");
  const int64_t b = logits.size(0), a = logits.size(1), c = logits.size(2);
  check_shape(boxes, {b, a, 4}, dims({b, a, 4}), what, "boxes");
  check_shape(anchor_points, {a, 2}, dims({a, 2}), what, "anchor_points");
  check_shape(anchor_strides, {a}, dims({a}), what, "anchor_strides");
  check_shape(targets, {-1, 6}, "[T,6] (batch, label, x1, y1, x2, y2)", what, "targets");
  QAT_CHECK(options.topk >= 1, "detection_loss: topk must be at least 1, got ", options.topk);
  QAT_CHECK(options.center_radius >= 0, "detection_loss: center_radius must be >= 0, got ", options.center_radius);
  if (targets.size(0) > 0) {
    const auto t = targets.detach().to(at::kCPU, at::kDouble);
    const double bmin = t.select(1, 0).min().item<double>(), bmax = t.select(1, 0).max().item<double>();
    QAT_CHECK(bmin >= 0 && bmax < b, "detection_loss: target batch indices must be in [0,", b, "), got ", bmin,
              "..", bmax);
    const double lmin = t.select(1, 1).min().item<double>(), lmax = t.select(1, 1).max().item<double>();
    QAT_CHECK(lmin >= 0 && lmax < c, "detection_loss: target labels must be in [0,", c, "), got ", lmin, "..",
              lmax);
  }
}

}  // namespace

Assignment assign_targets(const at::Tensor& logits, const at::Tensor& boxes, const at::Tensor& anchor_points,
                          const at::Tensor& anchor_strides, const at::Tensor& targets,
                          const DetectionLossOptions& options) {
  validate(logits, boxes, anchor_points, anchor_strides, targets, options);
  at::NoGradGuard no_grad;
  const int64_t batch = logits.size(0), num_anchors = logits.size(1), num_classes = logits.size(2);
  const auto fopts = logits.options().dtype(at::kFloat);
  const auto tgt = targets.to(fopts);
  const auto px = anchor_points.to(fopts).select(1, 0), py = anchor_points.to(fopts).select(1, 1);
  const auto radius = anchor_strides.to(fopts) * options.center_radius;
  const auto image_of = tgt.select(1, 0).to(at::kLong);

  Assignment out;
  out.positive = at::zeros({batch, num_anchors}, fopts.dtype(at::kBool));
  out.gt_index = at::full({batch, num_anchors}, -1, fopts.dtype(at::kLong));
  out.cls_target = at::zeros({batch, num_anchors, num_classes}, fopts);
  for (int64_t b = 0; b < batch; ++b) {
    const auto rows = at::nonzero(image_of == b).reshape({-1});
    const int64_t g = rows.size(0);
    if (g == 0) continue;
    const auto gt = tgt.index_select(0, rows);
    const auto labels = gt.select(1, 1).to(at::kLong);
    const auto x1 = gt.select(1, 2).unsqueeze(1), y1 = gt.select(1, 3).unsqueeze(1);
    const auto x2 = gt.select(1, 4).unsqueeze(1), y2 = gt.select(1, 5).unsqueeze(1);
    const auto cx = (x1 + x2) * 0.5, cy = (y1 + y2) * 0.5;

    // Candidates [G,A]: centre inside the box, or near its centre (small boxes may
    // contain no anchor centre at all).
    const auto inside = (px > x1) & (px < x2) & (py > y1) & (py < y2);
    const auto dx = (px - cx).abs(), dy = (py - cy).abs();
    const auto candidate = inside | ((dx <= radius) & (dy <= radius));

    const auto iou = at::nan_to_num(metrics::box_iou(gt.slice(1, 2, 6), boxes[b].to(fopts)), 0.0, 0.0, 0.0);
    const auto score = at::sigmoid(logits[b].to(fopts)).index_select(1, labels).t();  // [G,A]
    const auto metric = score * iou.pow(kIouPower);
    const auto ranked = at::where(candidate & (metric > 0), metric, at::full({}, -1.0, fopts));
    const int64_t k = std::min<int64_t>(options.topk, num_anchors);
    const auto top = ranked.topk(k, 1);
    auto chosen = at::zeros({g, num_anchors}, fopts);
    chosen.scatter_(1, std::get<1>(top), (std::get<0>(top) > 0).to(at::kFloat));
    const auto nearest = (dx.square() + dy.square()).argmin(1, /*keepdim=*/true);
    chosen.scatter_(1, nearest, 1.0);
    const auto pos = chosen > 0;  // [G,A]

    // An anchor claimed by several boxes keeps the one its prediction overlaps most.
    const auto owner = at::where(pos, iou, at::full({}, -1.0, fopts)).argmax(0);  // [A]
    const auto fg = pos.any(0);
    const auto fg_idx = at::nonzero(fg).reshape({-1});
    const auto fg_owner = owner.index_select(0, fg_idx);
    const auto owned = at::zeros({g, num_anchors}, fopts.dtype(at::kBool))
                           .index_put_({fg_owner, fg_idx}, at::ones({}, fopts.dtype(at::kBool)));
    const auto best_iou = at::where(owned, iou, at::zeros({}, fopts)).amax(1);  // [G]
    const auto fg_iou = iou.index({fg_owner, fg_idx});
    const auto fg_best = best_iou.index_select(0, fg_owner);
    const auto soft = at::where(fg_best > 0, fg_iou / fg_best.clamp_min(1e-12), at::ones({}, fopts));

    out.positive[b].copy_(fg);
    out.gt_index[b].index_put_({fg_idx}, rows.index_select(0, fg_owner));
    out.cls_target[b].index_put_({fg_idx, labels.index_select(0, fg_owner)}, soft);
  }
  out.num_positive = out.positive.sum().item<int64_t>();
  return out;
}

LossParts detection_loss(const at::Tensor& logits, const at::Tensor& boxes, const at::Tensor& anchor_points,
                         const at::Tensor& anchor_strides, const at::Tensor& targets,
                         const DetectionLossOptions& options) {
  const Assignment assigned = assign_targets(logits, boxes, anchor_points, anchor_strides, targets, options);
  LossParts parts;
  parts.num_positive = assigned.num_positive;
  const double norm = static_cast<double>(std::max<int64_t>(1, assigned.num_positive));
  parts.cls = at::binary_cross_entropy_with_logits(logits, assigned.cls_target.to(logits.scalar_type()), {}, {},
                                                   at::Reduction::Sum) /
              norm;
  if (assigned.num_positive > 0) {
    const auto pred = boxes.index({assigned.positive});  // [P,4], differentiable
    const auto rows = assigned.gt_index.index({assigned.positive});
    const auto gt = targets.to(boxes.options()).detach().index_select(0, rows).slice(1, 2, 6);
    parts.box = (1.0 - metrics::giou(pred, gt)).sum() / norm;
    const auto stride =
        anchor_strides.to(boxes.options()).unsqueeze(0).expand({boxes.size(0), -1}).index({assigned.positive});
    parts.l1 = ((pred - gt).abs() / stride.unsqueeze(1)).sum() / norm;
  } else {
    // Zero, but still part of the graph so that backward() reaches `boxes`.
    parts.box = boxes.sum() * 0.0;
    parts.l1 = boxes.sum() * 0.0;
  }
  parts.total = parts.cls * options.cls_weight + parts.box * options.box_weight + parts.l1 * options.l1_weight;
  return parts;
}

}  // namespace qat::loss
