// An equal-width histogram that grows to cover whatever it is fed, used by the
// percentile, entropy and other histogram-based observers.
//
// The first batch spans [min, max] (or [0, max] for |x| histograms) with max_bins
// bins. A later batch outside the covered range adds bins on the same lattice; when
// that would exceed max_bins, neighbouring bins are merged in powers of two. Both
// steps keep every count inside its original value interval, so nothing is
// redistributed by guesswork. fix_range() instead pins the lattice to a given range
// (data-parallel calibration: every rank counts on the same bins, and the ranks' counts
// are summed bin by bin).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace qat::quant {

class Histogram {
 public:
  /// `from_zero`: bin 0 starts at 0 and every value must be >= 0 (histograms of |x|).
  explicit Histogram(int64_t max_bins = 2048, bool from_zero = false);

  /// Counts the values of `values` (any shape, floating point, finite).
  void add(const at::Tensor& values);
  /// Forgets everything, including a fixed range.
  void reset();
  /// Forgets the counts and counts on [lo, hi] ([0, hi] for |x| histograms) with max_bins
  /// bins from now on, without growing: histograms fixed on the same range share one
  /// lattice. A value outside it is counted in the nearest edge bin.
  void fix_range(double lo, double hi);
  bool range_fixed() const { return fixed_; }

  /// Views of this histogram's own storage (float64), for ranks that combine it in place:
  /// counts and total are summed, min and max reduced. Valid until the next add() or reset().
  struct Shared {
    at::Tensor counts, total, min, max;
  };
  Shared shared();

  bool empty() const { return total_ == 0; }
  int64_t max_bins() const { return max_bins_; }
  int64_t num_bins() const { return static_cast<int64_t>(counts_.size()); }
  double bin_width() const { return width_; }
  /// Left edge of bin `i` (edge(num_bins()) is the right edge of the last bin).
  double edge(int64_t i) const { return lower_ + static_cast<double>(i) * width_; }
  const std::vector<double>& counts() const { return counts_; }
  double total() const { return total_; }
  /// Exact extremes of the values added.
  double min() const { return min_; }
  double max() const { return max_; }

  /// The value below which a fraction `q` (in [0, 1]) of the counts lie, interpolating
  /// linearly inside the bin that crosses it and clamped to [min(), max()].
  double quantile(double q) const;

 private:
  void start(double lo, double hi);
  void grow(double lo, double hi);

  int64_t max_bins_;
  bool from_zero_;
  bool fixed_ = false;
  double lower_ = 0.0;
  double width_ = 1.0;
  std::vector<double> counts_;
  double total_ = 0.0;
  double min_ = 0.0;
  double max_ = 0.0;
};

}  // namespace qat::quant
