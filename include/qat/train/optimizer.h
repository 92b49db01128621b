// Optimizers over a graph's named parameters. Their state is a name → tensor map
// so checkpoints store it by parameter name and resume exactly.
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "qat/core/registry.h"

namespace qat::train {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

struct OptimizerOptions {
  double momentum = 0.9;       ///< sgd (Nesterov)
  double weight_decay = 5e-4;  ///< on conv/gemm weights only (names ending ".weight")
  double beta1 = 0.9;          ///< adamw
  double beta2 = 0.999;        ///< adamw
  double eps = 1e-8;           ///< adamw
};

class Optimizer {
 public:
  Optimizer(NamedTensors params, OptimizerOptions options);
  virtual ~Optimizer() = default;

  /// One update with learning rate `lr` from the parameters' accumulated gradients
  /// (parameters without a gradient stay as they are).
  void step(double lr);
  void zero_grad();
  /// "<parameter>/<slot>" → tensor (momentum buffers, moments, step count).
  std::map<std::string, at::Tensor> state() const { return state_; }
  /// Restores state(); throws qat::Error naming a missing or mis-shaped entry.
  void load_state(const std::map<std::string, at::Tensor>& state);

 protected:
  /// Updates parameter `name` (`p`, in place) from its gradient `grad`, under no-grad.
  virtual void update(const std::string& name, at::Tensor& p, const at::Tensor& grad, double lr) = 0;
  /// The state slot `slot` of parameter `name`, created as zeros shaped like `like`.
  at::Tensor& slot(const std::string& name, const std::string& slot, const at::Tensor& like);
  bool decays(const std::string& name) const;

  NamedTensors params_;
  OptimizerOptions options_;
  std::map<std::string, at::Tensor> state_;
};

using OptimizerFactory = std::unique_ptr<Optimizer> (*)(NamedTensors, OptimizerOptions);
/// "sgd" (momentum, Nesterov, decoupled-from-BN weight decay), "adamw".
const Registry<OptimizerFactory>& optimizer_registry();

}  // namespace qat::train
