// Percentile calibration: the range ends where a given fraction of the observed
// values lies (by default 99.99% of |x|), so rare outliers are clipped instead of
// stretching the grid. Per-tensor only; counts live in a growing Histogram.
#pragma once

#include <memory>
#include <utility>

#include "qat/quant/histogram_observer.h"

namespace qat::quant {

struct PercentileOptions {
  double percentile = 99.99;  ///< in (0, 100]
  /// true: clip at the percentile of |x| on both sides; false: clip x at the
  /// (100 - p)th and pth percentiles separately.
  bool absolute = true;
  int64_t bins = 2048;
};

class PercentileObserver : public HistogramObserver {
 public:
  /// Throws qat::Error for a per-channel spec or out-of-range options.
  explicit PercentileObserver(QuantSpec spec, PercentileOptions options = {});

  QParams compute(const QuantSpec& spec) const override;
  std::string name() const override { return "percentile"; }

  /// The clipped range [lo, hi] that compute() quantizes.
  std::pair<double, double> range() const;

 private:
  PercentileOptions options_;
};

std::unique_ptr<Observer> make_percentile(const QuantSpec& spec);

}  // namespace qat::quant
