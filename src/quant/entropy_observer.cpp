#include "qat/quant/entropy_observer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "qat/core/error.h"

namespace qat::quant {

EntropyObserver::EntropyObserver(QuantSpec spec, EntropyOptions options)
    : HistogramObserver(spec, "entropy", options.bins, /*absolute=*/true), options_(options) {
  QAT_CHECK(options.stride >= 1, "entropy stride must be positive, got ", options.stride);
}

double kl_divergence(const std::vector<double>& p, const std::vector<double>& q) {
  QAT_ASSERT(p.size() == q.size(), "distributions differ in length");
  const double p_sum = std::accumulate(p.begin(), p.end(), 0.0);
  const double q_sum = std::accumulate(q.begin(), q.end(), 0.0);
  if (p_sum <= 0.0) return 0.0;
  if (q_sum <= 0.0) return std::numeric_limits<double>::infinity();
  double kl = 0.0;
  for (size_t j = 0; j < p.size(); ++j) {
    if (p[j] <= 0.0) continue;
    if (q[j] <= 0.0) return std::numeric_limits<double>::infinity();
    const double pj = p[j] / p_sum, qj = q[j] / q_sum;
    kl += pj * std::log(pj / qj);
  }
  return kl;
}

bool smooth_distribution(std::vector<double>& counts, double eps) {
  const auto zeros = static_cast<double>(std::count(counts.begin(), counts.end(), 0.0));
  const double nonzeros = static_cast<double>(counts.size()) - zeros;
  if (nonzeros == 0.0) return false;
  const double take = eps * zeros / nonzeros;
  for (double& c : counts) {
    c = c == 0.0 ? eps : c - take;
    if (c <= 0.0) return false;
  }
  return true;
}

double EntropyObserver::threshold(const QuantSpec& spec) const {
  check_can_compute(spec);
  const std::vector<double>& bins = histogram_.counts();
  const auto n = static_cast<int64_t>(bins.size());
  if (histogram_.max() <= 0.0) return 0.0;
  // Grid steps between 0 and the threshold: 128 for signed 8-bit, 256 for unsigned.
  const int64_t levels = int64_t{1} << (spec.bits - 1 + (spec.is_signed ? 0 : 1));
  if (levels >= n) return histogram_.max();  // the grid is finer than the histogram: nothing to clip

  std::vector<double> tail(static_cast<size_t>(n) + 1, 0.0);  // tail[i] = sum of bins[i:]
  for (int64_t j = n - 1; j >= 0; --j) tail[static_cast<size_t>(j)] = tail[static_cast<size_t>(j) + 1] + bins[static_cast<size_t>(j)];

  std::vector<double> p, q;
  double best_kl = std::numeric_limits<double>::infinity();
  int64_t best_i = n;
  for (int64_t i = levels; i <= n; i += options_.stride) {
    const auto ui = static_cast<size_t>(i);
    p.assign(bins.begin(), bins.begin() + i);
    p[ui - 1] += tail[ui];
    q.assign(ui, 0.0);
    const int64_t merged = i / levels;
    for (int64_t g = 0; g < levels; ++g) {
      const int64_t begin = g * merged, end = g == levels - 1 ? i : begin + merged;
      double sum = 0.0, nonzero = 0.0;
      for (int64_t j = begin; j < end; ++j) {
        sum += bins[static_cast<size_t>(j)];
        nonzero += p[static_cast<size_t>(j)] != 0.0 ? 1.0 : 0.0;
      }
      if (nonzero == 0.0) continue;
      for (int64_t j = begin; j < end; ++j) {
        if (p[static_cast<size_t>(j)] != 0.0) q[static_cast<size_t>(j)] = sum / nonzero;
      }
    }
    double kl = std::numeric_limits<double>::infinity();
    if (smooth_distribution(p) && smooth_distribution(q)) kl = kl_divergence(p, q);
    // Strict: the first (narrowest) minimum, as np.argmin.
    if (kl < best_kl) {
      best_kl = kl;
      best_i = i;
    }
  }
  return std::min(histogram_.edge(best_i), histogram_.max());
}

QParams EntropyObserver::compute(const QuantSpec& spec) const {
  const double amax = threshold(spec);
  const double lo = std::max(min_, -amax), hi = std::min(max_, amax);
  return qparams_from_range(at::tensor({static_cast<float>(lo)}), at::tensor({static_cast<float>(hi)}), spec);
}

std::unique_ptr<Observer> make_entropy(const QuantSpec& spec) { return std::make_unique<EntropyObserver>(spec); }

}  // namespace qat::quant
