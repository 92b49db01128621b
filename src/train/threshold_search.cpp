#include "qat/train/threshold_search.h"

#include <cmath>

namespace qat::train {

ThresholdChoice search_threshold(const DetectionSet& teacher, double teacher_threshold, const DetectionSet& student,
                                 const metrics::Gate& gate, const ThresholdRange& range,
                                 const std::vector<std::string>& class_names, double match_iou) {
  const int num_classes = static_cast<int>(class_names.size());
  ThresholdChoice choice;
  auto evaluate = [&](double t) {
    ThresholdCandidate c;
    c.threshold = t;
    c.stats = behaviour(teacher, teacher_threshold, student, t, num_classes, match_iou);
    c.verdict = gate.check(c.stats, class_names);
    return c;
  };
  choice.table.push_back(evaluate(teacher_threshold));
  if (choice.table.front().verdict.passed) {
    choice.found = true;
    choice.threshold = teacher_threshold;
    choice.chosen = choice.table.front();
    return choice;
  }
  // Steps are counted in integers so 0.60 + 7 * 0.01 is exactly 0.67 as printed.
  const int steps = static_cast<int>(std::floor((range.hi - range.lo) / range.step + 1e-9));
  for (int i = 0; i <= steps; ++i) {
    const double t = std::round((range.lo + i * range.step) * 1e6) / 1e6;
    if (std::abs(t - teacher_threshold) < 1e-9) continue;
    ThresholdCandidate c = evaluate(t);
    if (c.verdict.passed) {
      const double d = std::abs(t - teacher_threshold);
      const double best = std::abs(choice.threshold - teacher_threshold);
      if (!choice.found || d < best - 1e-9 || (std::abs(d - best) < 1e-9 && t > choice.threshold)) {
        choice.found = true;
        choice.threshold = t;
        choice.chosen = c;
      }
    }
    choice.table.push_back(std::move(c));
  }
  return choice;
}

}  // namespace qat::train
