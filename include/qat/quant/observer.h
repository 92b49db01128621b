// Observers watch the tensors that flow through a quantization point during
// calibration (or QAT) and turn what they saw into a scale and zero point.
//
// An observer is built for one QuantSpec: per-channel observers (spec.axis >= 0)
// reduce over every dimension except the axis and keep one statistic per channel.
// The built-ins are listed in qat/quant/registry.h.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "qat/quant/quant_spec.h"

namespace qat::quant {

class Observer {
 public:
  /// Validates `spec`; subclasses that support only per-tensor ranges reject an axis.
  explicit Observer(QuantSpec spec);
  virtual ~Observer();
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  /// Accumulates statistics of `x` (detached; any floating dtype). Empty tensors are ignored.
  virtual void observe(const at::Tensor& x) = 0;
  /// Quantization parameters for `spec` from everything observed so far. `spec` may differ from
  /// the construction spec in bits, signedness or symmetry, but not in axis.
  /// Throws qat::Error when nothing has been observed.
  virtual QParams compute(const QuantSpec& spec) const = 0;
  /// True once at least one non-empty tensor has been observed.
  virtual bool ready() const;
  /// Forgets everything observed.
  virtual void reset() = 0;
  /// The registry name, e.g. "minmax".
  virtual std::string name() const = 0;

  /// How a statistic combines across the ranks of a data-parallel run.
  enum class Combine { min, max, mean, sum };
  struct SharedStat {
    at::Tensor tensor;  ///< the observer's own storage (a view of it): combined in place
    Combine combine;
  };
  /// The statistics ranks combine before compute(), so that every rank computes the
  /// qparams of all ranks' data; nullopt when this observer's cannot be combined (yet):
  /// then every rank must observe the same data. Needs ready().
  virtual std::optional<std::vector<SharedStat>> shared_stats() { return std::nullopt; }

  /// True for observers whose statistics combine only on a range every rank shares
  /// (histograms: counts add bin by bin on one lattice). A data-parallel calibration then
  /// runs twice over each rank's images: a range pass (begin_range_pass(), observe, combine
  /// shared_stats(), end_range_pass()) and the counting pass. Such statistics are summed, so
  /// they combine once, never again after each step of training.
  virtual bool needs_range_pass() const { return false; }
  /// From now until end_range_pass(), observe() records only the range, and shared_stats()
  /// offers only the range.
  virtual void begin_range_pass() {}
  /// Fixes the lattice on the range observed (and combined) since begin_range_pass() and
  /// forgets what was observed: the counting pass starts empty.
  virtual void end_range_pass() {}

  const QuantSpec& spec() const { return spec_; }

 protected:
  /// Throws unless ready() and `spec` has this observer's axis.
  void check_can_compute(const QuantSpec& spec) const;
  /// `x` as float32 [C, N]: channel rows along spec().axis, or one row when per-tensor.
  /// Checks that the axis exists and, after the first batch, that the channel count is unchanged.
  at::Tensor rows(const at::Tensor& x) const;

  int64_t batches_ = 0;  ///< non-empty tensors observed since construction or reset()
  int64_t channels_ = 0;  ///< rows per batch once a batch was seen

 private:
  QuantSpec spec_;
};

/// `x` as float32 [C, N] with the C rows along `axis` (-1: a single row of all values).
at::Tensor channel_rows(const at::Tensor& x, int64_t axis);

}  // namespace qat::quant
