// Entropy (KL-divergence) calibration as in TensorRT's INT8 calibrator: histogram
// |x| into 2048 bins, then for each candidate i (from the number of levels on one
// side of zero, 128 for int8, up to all bins) compare the reference distribution
// P = bins[0, i) with everything above folded into bin i-1, and its quantized
// image Q: bins[0, i) merged into `levels` equal groups (the remainder joins the
// last), each group's count spread evenly over the group's non-empty bins of P.
// The threshold is the upper edge of bin i-1 for the i with the smallest
// KL(P || Q). Zero entries are smoothed with eps = 1e-4 counts before the
// divergence, as in MXNet's/ONNX Runtime's reproduction of the algorithm, so
// that clipping a lone outlier costs a finite amount. Per-tensor; deterministic.
#pragma once

#include <memory>
#include <vector>

#include "qat/quant/histogram_observer.h"

namespace qat::quant {

struct EntropyOptions {
  int64_t bins = 2048;
  int64_t stride = 1;  ///< candidate thresholds step
};

class EntropyObserver : public HistogramObserver {
 public:
  /// Throws qat::Error for a per-channel spec.
  explicit EntropyObserver(QuantSpec spec, EntropyOptions options = {});

  QParams compute(const QuantSpec& spec) const override;
  std::string name() const override { return "entropy"; }

  /// The |x| threshold with the smallest KL divergence for a grid of `spec`.
  double threshold(const QuantSpec& spec) const;

 private:
  EntropyOptions options_;
};

/// KL(P || Q) of two count vectors after normalising both (scipy.stats.entropy); +inf when
/// Q is 0 where P is not. Terms with P = 0 add nothing.
double kl_divergence(const std::vector<double>& p, const std::vector<double>& q);

/// Moves `eps` counts onto every zero entry, taking them evenly from the non-zero entries
/// (MXNet's _smooth_distribution). Returns false, leaving `counts` unusable, when all entries
/// are zero or a non-zero entry would not stay positive.
bool smooth_distribution(std::vector<double>& counts, double eps = 1e-4);

std::unique_ptr<Observer> make_entropy(const QuantSpec& spec);

}  // namespace qat::quant
