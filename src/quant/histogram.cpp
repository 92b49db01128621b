#include "qat/quant/histogram.h"

#include <algorithm>
#include <cmath>

#include "qat/core/error.h"

namespace qat::quant {

Histogram::Histogram(int64_t max_bins, bool from_zero) : max_bins_(max_bins), from_zero_(from_zero) {
  QAT_CHECK(max_bins >= 1, "a histogram needs at least one bin, got ", max_bins);
}

void Histogram::reset() {
  fixed_ = false;
  lower_ = 0.0;
  width_ = 1.0;
  counts_.clear();
  total_ = min_ = max_ = 0.0;
}

void Histogram::start(double lo, double hi) {
  lower_ = from_zero_ ? 0.0 : lo;
  const double span = hi - lower_;
  width_ = span > 0.0 ? span / static_cast<double>(max_bins_) : 1.0;
  counts_.assign(static_cast<size_t>(max_bins_), 0.0);
}

void Histogram::fix_range(double lo, double hi) {
  QAT_CHECK(std::isfinite(lo) && std::isfinite(hi) && lo <= hi, "a histogram range must be finite and ordered, got [",
            lo, ", ", hi, "]");
  QAT_ASSERT(!from_zero_ || hi >= 0.0, "a histogram of |x| got a negative range end");
  start(lo, hi);
  total_ = min_ = max_ = 0.0;
  fixed_ = true;
}

Histogram::Shared Histogram::shared() {
  const auto view = [](double* p, int64_t n) { return at::from_blob(p, {n}, at::kDouble); };
  return {view(counts_.data(), num_bins()), view(&total_, 1), view(&min_, 1), view(&max_, 1)};
}

void Histogram::grow(double lo, double hi) {
  const int64_t n = num_bins();
  const double need_hi = std::max(hi, edge(n));
  // Widen bins by a power of two until the new range fits; old bins then nest in new ones.
  int64_t factor = 1, front = 0, bins = n;
  for (;;) {
    const double w = width_ * static_cast<double>(factor);
    front = lo < lower_ ? static_cast<int64_t>(std::ceil((lower_ - lo) / w)) : 0;
    const double new_lower = lower_ - static_cast<double>(front) * w;
    bins = std::max<int64_t>(static_cast<int64_t>(std::ceil((need_hi - new_lower) / w)), 1);
    if (bins <= max_bins_) break;
    QAT_ASSERT(factor < (int64_t{1} << 60), "histogram range exploded");
    factor *= 2;
  }
  std::vector<double> merged(static_cast<size_t>(bins), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t j = std::min((front * factor + i) / factor, bins - 1);
    merged[static_cast<size_t>(j)] += counts_[static_cast<size_t>(i)];
  }
  lower_ -= static_cast<double>(front * factor) * width_;
  width_ *= static_cast<double>(factor);
  counts_ = std::move(merged);
}

void Histogram::add(const at::Tensor& values) {
  QAT_CHECK(values.is_floating_point(), "histograms need floating-point values, got ", values.scalar_type());
  at::NoGradGuard no_grad;
  const auto x = values.detach().reshape({-1}).to(at::kDouble);
  if (x.numel() == 0) return;
  auto [lo_t, hi_t] = at::aminmax(x);
  const double lo = lo_t.item<double>(), hi = hi_t.item<double>();
  QAT_CHECK(std::isfinite(lo) && std::isfinite(hi), "histogram got non-finite values (NaN or inf)");
  QAT_ASSERT(!from_zero_ || lo >= 0.0, "a histogram of |x| got a negative value");

  if (fixed_) {
    // The lattice stays; the index clamp below counts strays in the edge bins.
  } else if (empty()) {
    start(lo, hi);
  } else if (min_ == max_) {
    // Everything so far was one value: restart on the joint range and re-add it.
    const double value = min_, count = total_;
    start(std::min(lo, value), std::max(hi, value));
    const auto j = std::clamp<int64_t>(static_cast<int64_t>(std::floor((value - lower_) / width_)), 0,
                                       num_bins() - 1);
    counts_[static_cast<size_t>(j)] = count;
  } else if (lo < lower_ || hi > edge(num_bins())) {
    grow(lo, hi);
  }

  const int64_t n = num_bins();
  const auto index = at::floor((x - lower_) / width_).clamp(0, n - 1).to(at::kLong);
  const auto binned = at::bincount(index, {}, n).to(at::kCPU, at::kDouble).contiguous();
  const double* b = binned.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) counts_[static_cast<size_t>(i)] += b[i];

  min_ = total_ == 0.0 ? lo : std::min(min_, lo);
  max_ = total_ == 0.0 ? hi : std::max(max_, hi);
  total_ += static_cast<double>(x.numel());
}

double Histogram::quantile(double q) const {
  QAT_CHECK(!empty(), "quantile of an empty histogram");
  QAT_CHECK(q >= 0.0 && q <= 1.0, "quantile must be in [0, 1], got ", q);
  const double target = q * total_;
  double below = 0.0;
  for (int64_t j = 0; j < num_bins(); ++j) {
    const double c = counts_[static_cast<size_t>(j)];
    if (c > 0.0 && below + c >= target) {
      const double value = edge(j) + (target - below) / c * width_;
      return std::clamp(value, min_, max_);
    }
    below += c;
  }
  return max_;
}

}  // namespace qat::quant
