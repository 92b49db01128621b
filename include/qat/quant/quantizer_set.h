// The quantizers of a plan, attached to an Executor's edges. One FakeQuantizer
// per plan point; every edge of the point calls the same quantizer (shared scale).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "qat/graph/executor.h"
#include "qat/quant/fake_quantizer.h"
#include "qat/quant/quant_plan.h"

namespace qat::quant {

/// What the quantizers of a set do while the executor runs. Observing updates a
/// quantizer's range from the tensors that pass; fixed-qparams points never observe.
enum class QuantizerMode {
  calibrate,        ///< every range observed, nothing fake-quantized (FP32 values, PTQ calibration)
  train_observing,  ///< fake-quantized, weight and activation ranges follow the student (early QAT)
  train,            ///< fake-quantized, weight ranges follow the weights, activation ranges fixed
  deploy,           ///< fake-quantized with fixed qparams, nothing observed (as exported)
  bypass,           ///< neither: the student computes in FP32 (comparisons, benchmarks)
};

class QuantizerSet {
 public:
  /// Builds each point's quantizer with its observer from the registry.
  explicit QuantizerSet(QuantPlan plan, bool learnable_scale = false);

  /// Routes every planned edge of `executor` through its quantizer. The
  /// QuantizerSet must outlive the executor's runs.
  void attach(graph::Executor& executor);

  /// What every quantizer does with the tensors that pass (QuantizerMode).
  void set_mode(QuantizerMode mode);

  const QuantPlan& plan() const { return plan_; }
  FakeQuantizer& quantizer(size_t point) { return *quantizers_[point]; }
  size_t size() const { return quantizers_.size(); }

  /// Learnable scales (LSQ), empty otherwise.
  std::vector<std::pair<std::string, at::Tensor>> parameters();
  /// Every point's parameters, keyed by the quantized tensor's name.
  std::map<std::string, QParams> qparams() const;
  /// Restores qparams() output; throws qat::Error naming a missing point.
  void set_qparams(const std::map<std::string, QParams>& qparams);

 private:
  QuantPlan plan_;
  std::vector<std::shared_ptr<FakeQuantizer>> quantizers_;
};

}  // namespace qat::quant
