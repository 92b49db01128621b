#include "qat/quant/percentile_observer.h"

#include <algorithm>

#include "qat/core/error.h"

namespace qat::quant {

PercentileObserver::PercentileObserver(QuantSpec spec, PercentileOptions options)
    : Observer(spec), options_(options), histogram_(options.bins, options.absolute) {
  QAT_CHECK(!spec.per_channel(), "observer 'percentile' is per-tensor only (axis must be -1, got ", spec.axis,
            ")");
  QAT_CHECK(options.percentile > 0.0 && options.percentile <= 100.0,
            "percentile must be in (0, 100], got ", options.percentile);
}

void PercentileObserver::observe(const at::Tensor& x) {
  at::NoGradGuard no_grad;
  const auto r = rows(x);
  if (r.numel() == 0) return;
  auto [lo, hi] = at::aminmax(r);
  min_ = batches_ == 0 ? lo.item<double>() : std::min(min_, lo.item<double>());
  max_ = batches_ == 0 ? hi.item<double>() : std::max(max_, hi.item<double>());
  histogram_.add(options_.absolute ? r.abs() : r);
  channels_ = 1;
  ++batches_;
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

void PercentileObserver::reset() {
  histogram_.reset();
  min_ = max_ = 0.0;
  batches_ = 0;
  channels_ = 0;
}

std::unique_ptr<Observer> make_percentile(const QuantSpec& spec) {
  return std::make_unique<PercentileObserver>(spec);
}

}  // namespace qat::quant
