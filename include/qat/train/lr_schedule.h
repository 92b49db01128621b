// Learning rate over training: linear warm-up, then cosine (or constant) decay.
#pragma once

namespace qat::train {

struct LrSchedule {
  double lr = 0.01;            ///< peak learning rate
  double warmup_epochs = 1.0;  ///< linear ramp from warmup_start_ratio * lr
  double warmup_start_ratio = 0.1;
  double total_epochs = 30.0;
  double min_lr_ratio = 0.05;  ///< final lr = lr * min_lr_ratio
  bool cosine = true;          ///< false: constant after warm-up

  /// The rate at `epoch` (fractional: 2.5 = half way through the third epoch).
  double at(double epoch) const;
};

}  // namespace qat::train
