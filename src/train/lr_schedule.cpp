#include "qat/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace qat::train {

double LrSchedule::at(double epoch) const {
  if (warmup_epochs > 0 && epoch < warmup_epochs) {
    const double t = epoch / warmup_epochs;
    return lr * (warmup_start_ratio + (1 - warmup_start_ratio) * t);
  }
  if (!cosine) return lr;
  const double span = std::max(1e-9, total_epochs - warmup_epochs);
  const double t = std::clamp((epoch - warmup_epochs) / span, 0.0, 1.0);
  const double min_lr = lr * min_lr_ratio;
  return min_lr + (lr - min_lr) * 0.5 * (1 + std::cos(M_PI * t));
}

}  // namespace qat::train
