#include "qat/quant/histogram_observer.h"

#include <algorithm>
#include <cmath>

#include "qat/core/error.h"

namespace qat::quant {

HistogramObserver::HistogramObserver(QuantSpec spec, const std::string& name, int64_t bins, bool absolute)
    : Observer(spec), histogram_(bins, absolute), absolute_(absolute) {
  QAT_CHECK(!spec.per_channel(), "observer '", name, "' is per-tensor only (axis must be -1, got ", spec.axis, ")");
}

void HistogramObserver::observe(const at::Tensor& x) {
  at::NoGradGuard no_grad;
  const auto r = rows(x);
  if (r.numel() == 0) return;
  auto [lo, hi] = at::aminmax(r);
  min_ = batches_ == 0 ? lo.item<double>() : std::min(min_, lo.item<double>());
  max_ = batches_ == 0 ? hi.item<double>() : std::max(max_, hi.item<double>());
  if (!range_pass_) histogram_.add(absolute_ ? r.abs() : r);
  channels_ = 1;
  ++batches_;
}

void HistogramObserver::reset() {
  histogram_.reset();
  min_ = max_ = 0.0;
  batches_ = 0;
  channels_ = 0;
  range_pass_ = false;
}

std::optional<std::vector<Observer::SharedStat>> HistogramObserver::shared_stats() {
  // Views of the doubles themselves, so that the ranks' reduction lands in place.
  const auto view = [](double& v) { return at::from_blob(&v, {1}, at::kDouble); };
  std::vector<SharedStat> stats{{view(min_), Combine::min}, {view(max_), Combine::max}};
  if (range_pass_) return stats;
  const Histogram::Shared h = histogram_.shared();
  stats.push_back({h.counts, Combine::sum});
  stats.push_back({h.total, Combine::sum});
  stats.push_back({h.min, Combine::min});
  stats.push_back({h.max, Combine::max});
  return stats;
}

void HistogramObserver::begin_range_pass() {
  reset();
  range_pass_ = true;
}

void HistogramObserver::end_range_pass() {
  QAT_ASSERT(range_pass_, "end_range_pass without begin_range_pass");
  range_pass_ = false;
  if (batches_ == 0) return;
  if (absolute_) {
    histogram_.fix_range(0.0, std::max(std::abs(min_), std::abs(max_)));
  } else {
    histogram_.fix_range(min_, max_);
  }
  min_ = max_ = 0.0;
  batches_ = 0;
}

}  // namespace qat::quant
