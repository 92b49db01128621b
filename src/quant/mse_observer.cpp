#include "qat/quant/mse_observer.h"

#include <algorithm>
#include <limits>

#include "qat/core/error.h"
#include "qat/quant/fake_quantizer.h"

namespace qat::quant {

MseObserver::MseObserver(QuantSpec spec, MseOptions options) : RangeObserver(spec), options_(options) {
  QAT_CHECK(options.grid >= 1, "mse grid must have at least one candidate, got ", options.grid);
  QAT_CHECK(options.max_samples >= 1, "mse max_samples must be positive, got ", options.max_samples);
}

void MseObserver::observe(const at::Tensor& x) {
  at::NoGradGuard no_grad;
  auto r = rows(x);
  if (r.numel() == 0) return;
  observe_rows(r);

  const int64_t cap = std::max<int64_t>(options_.max_samples / channels_, 1);
  // Strided thinning keeps the result deterministic (no RNG state to carry or seed).
  if (r.size(1) > cap) r = r.slice(1, 0, r.size(1), (r.size(1) + cap - 1) / cap);
  samples_.push_back(r.contiguous().clone());
  stored_ += r.size(1);
  while (stored_ > cap) {
    auto all = at::cat(samples_, 1);
    all = all.slice(1, 0, all.size(1), 2).contiguous();
    samples_ = {all};
    stored_ = all.size(1);
  }
}

at::Tensor MseObserver::samples() const {
  QAT_CHECK(ready(), "observer 'mse' has seen no data: calibrate first");
  return samples_.size() == 1 ? samples_.front() : at::cat(samples_, 1);
}

at::Tensor MseObserver::best_ratio(const QuantSpec& spec) const {
  check_can_compute(spec);
  at::NoGradGuard no_grad;
  const auto x = samples();
  // Samples are [C, N], so per-channel candidates are applied along axis 0.
  QuantSpec rows_spec = spec;
  rows_spec.axis = spec.per_channel() ? 0 : -1;
  auto best_err = at::full({channels_}, std::numeric_limits<float>::infinity(), x.options());
  auto best = at::ones({channels_}, x.options());
  // From the full range down, so that ties keep the wider (less clipping) range.
  for (int64_t k = options_.grid; k >= 1; --k) {
    const float ratio = static_cast<float>(k) / static_cast<float>(options_.grid);
    const auto qp = qparams_from_range(min_ * ratio, max_ * ratio, rows_spec);
    const auto err = (fake_quantize(x, qp, rows_spec) - x).square().mean(1);
    const auto better = err < best_err;
    best_err = at::where(better, err, best_err);
    best = at::where(better, at::full({channels_}, ratio, x.options()), best);
  }
  return best;
}

QParams MseObserver::compute(const QuantSpec& spec) const {
  const auto ratio = best_ratio(spec);
  return qparams_from_range(min_ * ratio, max_ * ratio, spec);
}

void MseObserver::reset() {
  RangeObserver::reset();
  samples_.clear();
  stored_ = 0;
}

std::unique_ptr<Observer> make_mse(const QuantSpec& spec) { return std::make_unique<MseObserver>(spec); }

}  // namespace qat::quant
