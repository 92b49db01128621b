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

class QuantizerSet {
 public:
  /// Builds each point's quantizer with its observer from the registry.
  explicit QuantizerSet(QuantPlan plan, bool learnable_scale = false);

  /// Routes every planned edge of `executor` through its quantizer. The
  /// QuantizerSet must outlive the executor's runs.
  void attach(graph::Executor& executor);

  /// Observing updates ranges from the tensors that pass (calibration, early QAT).
  void set_observing(bool weights, bool activations);
  /// Whether quantizers fake-quantize (off while calibrating on FP32 values).
  void set_fake_quant(bool enabled);

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
