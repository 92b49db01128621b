// The shared base of observers that track a per-row [min, max] range: the first
// batch sets it, each later batch is folded in by merge() (running extremes by
// default; ema_minmax averages). compute() maps the range onto the grid.
#pragma once

#include "qat/quant/observer.h"

namespace qat::quant {

class RangeObserver : public Observer {
 public:
  using Observer::Observer;

  void observe(const at::Tensor& x) override;
  /// qparams_from_range(min(), max(), spec).
  QParams compute(const QuantSpec& spec) const override;
  void reset() override;
  /// The running extremes: MIN and MAX over ranks.
  std::optional<std::vector<SharedStat>> shared_stats() override {
    return std::vector<SharedStat>{{min_, Combine::min}, {max_, Combine::max}};
  }

  /// The tracked minimum and maximum, float32 [C] (or [1]); undefined before the first batch.
  const at::Tensor& min() const { return min_; }
  const at::Tensor& max() const { return max_; }

 protected:
  /// Updates the range from `r` (rows() of a batch, non-empty) and counts the batch.
  void observe_rows(const at::Tensor& r);
  /// Folds a later batch's per-row extremes into min_ and max_: running min/max by default.
  virtual void merge(const at::Tensor& batch_min, const at::Tensor& batch_max);

  at::Tensor min_;
  at::Tensor max_;
};

}  // namespace qat::quant
