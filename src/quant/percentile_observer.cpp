#include "qat/quant/percentile_observer.h"

#include <algorithm>

#include "qat/core/error.h"

namespace qat::quant {

PercentileObserver::PercentileObserver(QuantSpec spec, PercentileOptions options)
    : HistogramObserver(spec, "percentile", options.bins, options.absolute), options_(options) {
  QAT_CHECK(options.percentile > 0.0 && options.percentile <= 100.0,
            "percentile must be in (0, 100], got ", options.percentile);
}

std::pair<double, double> PercentileObserver::range() const {
  QAT_CHECK(ready(), "observer 'percentile' has seen no data: calibrate first");
  const double p = options_.percentile / 100.0;
  if (options_.absolute) {
    const double amax = histogram_.quantile(p);
    return {std::max(min_, -amax), std::min(max_, amax)};
  }
  return {histogram_.quantile(1.0 - p), histogram_.quantile(p)};
}

QParams PercentileObserver::compute(const QuantSpec& spec) const {
  check_can_compute(spec);
  const auto [lo, hi] = range();
  return qparams_from_range(at::tensor({static_cast<float>(lo)}), at::tensor({static_cast<float>(hi)}), spec);
}

std::unique_ptr<Observer> make_percentile(const QuantSpec& spec) {
  return std::make_unique<PercentileObserver>(spec);
}

}  // namespace qat::quant
