// MSE calibration: try shrinking the observed [min, max] by ratios k / grid
// (k = grid .. 1) and keep, per channel, the range whose fake-quantized samples are
// closest to the originals in mean squared error. Clips outliers when that costs
// less than the coarser grid they would force on everything else.
//
// Works on stored samples (exact for weights, which are observed once). Activations
// observed over many batches are thinned to at most max_samples values by keeping
// every other stored value, so later batches weigh somewhat more than early ones.
#pragma once

#include <memory>
#include <vector>

#include "qat/quant/range_observer.h"

namespace qat::quant {

struct MseOptions {
  int64_t grid = 100;  ///< candidate ratios 1/grid, 2/grid, ..., 1
  int64_t max_samples = int64_t{1} << 18;  ///< stored values over all channels
};

/// Keeps the running range of RangeObserver besides the samples; min()/max() are the full range.
class MseObserver : public RangeObserver {
 public:
  explicit MseObserver(QuantSpec spec, MseOptions options = {});

  void observe(const at::Tensor& x) override;
  QParams compute(const QuantSpec& spec) const override;
  void reset() override;
  std::string name() const override { return "mse"; }
  /// Its samples are not combined across ranks yet.
  std::optional<std::vector<SharedStat>> shared_stats() override { return std::nullopt; }

  /// The ratio of the observed range chosen per channel for `spec`, float32 [C].
  at::Tensor best_ratio(const QuantSpec& spec) const;
  /// Stored samples, float32 [C, N].
  at::Tensor samples() const;

 private:
  MseOptions options_;
  std::vector<at::Tensor> samples_;
  int64_t stored_ = 0;  ///< values per channel in samples_
};

std::unique_ptr<Observer> make_mse(const QuantSpec& spec);

}  // namespace qat::quant
