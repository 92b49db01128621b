// Non-finite losses and gradients (a too-high lr, broken images): the first one
// stops the phase with an Error naming the phase, epoch and iteration, unless a
// bounded number of such batches may be skipped (the recipe's <phase>.max_bad_batches).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace qat::train {

class BadBatches {
 public:
  /// `phase` is the recipe section ("fp32", "qat"); `lr` goes into the hint.
  BadBatches(std::string phase, int max_bad_batches, double lr);

  /// false: skip this batch (no backward, no step). Throws qat::Error when the
  /// loss is not finite and no more batches may be skipped. epoch and iteration are 0-based.
  bool loss_ok(double loss, int64_t epoch, int64_t iteration);
  /// After backward: false when a gradient is not finite (zero them and skip the step).
  bool gradients_ok(const std::vector<std::pair<std::string, at::Tensor>>& params, int64_t epoch,
                    int64_t iteration);
  int64_t skipped() const { return skipped_; }

 private:
  bool bad(const std::string& what, int64_t epoch, int64_t iteration);
  std::string phase_;
  int max_;
  double lr_;
  int64_t skipped_ = 0;
};

}  // namespace qat::train
