// The shared base of the per-tensor histogram observers (percentile, entropy): the
// exact range of x besides a Histogram of x, or of |x|. Their counts combine across
// ranks only on one lattice, so a data-parallel calibration takes two passes
// (Observer::needs_range_pass): the ranks' ranges are MIN/MAX-combined and fix the
// histograms' range, then the ranks count on it and their counts are summed.
#pragma once

#include <string>

#include "qat/quant/histogram.h"
#include "qat/quant/observer.h"

namespace qat::quant {

class HistogramObserver : public Observer {
 public:
  /// `name` is the registry name, for the error when `spec` is per-channel.
  HistogramObserver(QuantSpec spec, const std::string& name, int64_t bins, bool absolute);

  void observe(const at::Tensor& x) override;
  void reset() override;
  /// The range (MIN/MAX); after the range pass also the histogram (counts summed).
  std::optional<std::vector<SharedStat>> shared_stats() override;
  bool needs_range_pass() const override { return true; }
  void begin_range_pass() override;
  void end_range_pass() override;

  const Histogram& histogram() const { return histogram_; }

 protected:
  Histogram histogram_;
  double min_ = 0.0;  ///< exact extremes of x (not |x|)
  double max_ = 0.0;

 private:
  bool absolute_;
  bool range_pass_ = false;
};

}  // namespace qat::quant
