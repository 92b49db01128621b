// Non-finite losses and gradients (a too-high lr, broken images): the first one
// stops the phase with an Error naming the phase, epoch and iteration, unless a
// bounded number of such batches may be skipped (the recipe's <phase>.max_bad_batches).
// On several ranks every rank skips the same batches (docs/distributed.md).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace qat::dist { class Group; }

namespace qat::train {

class BadBatches {
 public:
  /// `phase` is the recipe section ("fp32", "qat"); `lr` goes into the hint. With a
  /// `group` (which must outlive this) and `max_bad_batches` > 0, the ranks agree on
  /// each loss (loss_ok); a message names the rank whose batch was bad.
  BadBatches(std::string phase, int max_bad_batches, double lr, dist::Group* group = nullptr);

  /// false: skip this batch (no backward, no step). Throws qat::Error when the
  /// loss is not finite and no more batches may be skipped. epoch and iteration are 0-based.
  /// With a group and max_bad_batches > 0 it is a collective: every rank calls it once a
  /// batch, each with its own loss, and all return false (or throw the same Error) when
  /// any rank's loss is not finite. With max_bad_batches 0 only the rank with the bad
  /// loss throws (its peers then fail at their next collective naming it).
  bool loss_ok(double loss, int64_t epoch, int64_t iteration);
  /// After backward: false when a gradient is not finite (zero them and skip the step).
  /// With a group the gradients are the ranks' mean, the same on every rank, so every
  /// rank decides the same without a collective.
  bool gradients_ok(const std::vector<std::pair<std::string, at::Tensor>>& params, int64_t epoch,
                    int64_t iteration);
  int64_t skipped() const { return skipped_; }

 private:
  /// "the loss is nan on rank 1" ...: which ranks' losses are not finite, from every rank's.
  std::string agreed_loss_problem(double loss) const;
  bool bad(const std::string& what, int64_t epoch, int64_t iteration);
  std::string phase_;
  int max_;
  double lr_;
  dist::Group* group_;
  int64_t skipped_ = 0;
};

}  // namespace qat::train
