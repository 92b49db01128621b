#include "qat/train/report_plot.h"

#include <algorithm>
#include <cstdio>

#include "qat/core/png.h"

namespace qat::train {

std::string render_behaviour_plot(const QatResult& result, double teacher_threshold) {
  constexpr int kW = 720, kH = 400, kLeft = 60, kRight = 200, kTop = 40, kBottom = 50;
  Raster r(kW, kH);
  const int x0 = kLeft, x1 = kW - kRight, y0 = kTop, y1 = kH - kBottom;
  struct Series {
    const char* name;
    uint32_t color;
    double (*value)(const metrics::BehaviourStats&);
  };
  const Series series[] = {
      {"RECALL", 0x1f77b4, [](const metrics::BehaviourStats& s) { return s.recall; }},
      {"PRECISION AGR.", 0x2ca02c, [](const metrics::BehaviourStats& s) { return s.precision_agreement; }},
      {"MEDIAN IOU", 0xff7f0e, [](const metrics::BehaviourStats& s) { return s.median_iou; }},
      {"1 - CONF. MAE", 0x9467bd, [](const metrics::BehaviourStats& s) { return 1.0 - s.confidence_mae; }},
  };
  double lo = 1.0;
  for (const auto& e : result.history) {
    for (const auto& s : series) lo = std::min(lo, s.value(e.at_teacher_threshold));
  }
  lo = std::max(0.0, std::min(lo, result.gate.min_recall) - 0.02);
  const double hi = 1.0;
  const size_t n = result.history.size();
  auto px = [&](size_t i) { return n < 2 ? (x0 + x1) / 2 : x0 + static_cast<int>((x1 - x0) * i / (n - 1)); };
  auto py = [&](double v) { return y1 - static_cast<int>((y1 - y0) * (v - lo) / (hi - lo)); };

  char buf[64];
  std::snprintf(buf, sizeof(buf), "STUDENT VS TEACHER @ %.2f", teacher_threshold);
  r.text(x0, 12, buf, 0x000000, 2);
  for (int k = 0; k <= 4; ++k) {  // horizontal grid with labels
    const double v = lo + (hi - lo) * k / 4;
    r.line(x0, py(v), x1, py(v), 0xdddddd);
    std::snprintf(buf, sizeof(buf), "%.2f", v);
    r.text(8, py(v) - 3, buf, 0x444444);
  }
  r.line(x0, y0, x0, y1, 0x000000);
  r.line(x0, y1, x1, y1, 0x000000);
  r.line(x0, py(result.gate.min_recall), x1, py(result.gate.min_recall), 0xd62728, 1, 6);
  for (size_t i = 0; i < n; ++i) {
    const auto& e = result.history[i];
    const std::string label = e.epoch < 0 ? "PTQ" : std::to_string(e.epoch + 1);
    r.text(px(i) - 3 * static_cast<int>(label.size()), y1 + 8, label, 0x000000);
    if (static_cast<int64_t>(i) == result.selected) r.line(px(i), y0, px(i), y1, 0x000000, 1, 3);
  }
  r.text((x0 + x1) / 2 - 15, y1 + 24, "EPOCH", 0x000000);
  int legend_y = y0;
  for (const auto& s : series) {
    for (size_t i = 0; i + 1 < n; ++i) {
      r.line(px(i), py(s.value(result.history[i].at_teacher_threshold)), px(i + 1),
             py(s.value(result.history[i + 1].at_teacher_threshold)), s.color, 2);
    }
    for (size_t i = 0; i < n; ++i) {
      const int cx = px(i), cy = py(s.value(result.history[i].at_teacher_threshold));
      r.rect(cx - 2, cy - 2, cx + 2, cy + 2, s.color);
    }
    r.rect(x1 + 15, legend_y, x1 + 27, legend_y + 6, s.color);
    r.text(x1 + 33, legend_y, s.name, 0x000000);
    legend_y += 16;
  }
  r.line(x1 + 15, legend_y + 3, x1 + 27, legend_y + 3, 0xd62728, 1, 3);
  r.text(x1 + 33, legend_y, "GATE MIN RECALL", 0x000000);
  legend_y += 16;
  r.line(x1 + 21, legend_y - 1, x1 + 21, legend_y + 8, 0x000000, 1, 2);
  r.text(x1 + 33, legend_y, "SELECTED", 0x000000);
  return encode_png(r);
}

}  // namespace qat::train
