// The QAT fine-tuning objective: a weighted sum of distillation losses.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "qat/distill/distill_loss.h"

namespace qat::distill {

class DistillObjective {
 public:
  /// Builds every loss through loss_registry(). Throws Error for an empty list,
  /// an unknown type or invalid options.
  explicit DistillObjective(std::vector<LossSpec> specs);
  ~DistillObjective();
  DistillObjective(DistillObjective&&) noexcept;
  DistillObjective& operator=(DistillObjective&&) noexcept;

  struct Parts {
    at::Tensor total;  ///< sum of weight * loss, a scalar with grad to the student
    /// Unweighted value of each loss for logs, keyed by type; a type listed again
    /// is keyed "type#2", "type#3", ...
    std::map<std::string, double> values;
  };
  Parts compute(const DistillContext& ctx) const;

  /// The union of the feature losses' taps in first-use order, for Executor::run.
  std::vector<std::string> taps() const;
  const std::vector<LossSpec>& specs() const { return specs_; }

 private:
  std::vector<LossSpec> specs_;
  std::vector<std::string> keys_;
  std::vector<std::unique_ptr<DistillLoss>> losses_;
};

}  // namespace qat::distill
