#include "qat/train/optimizer.h"

#include "qat/core/error.h"

namespace qat::train {

Optimizer::Optimizer(NamedTensors params, OptimizerOptions options)
    : params_(std::move(params)), options_(options) {}

void Optimizer::zero_grad() {
  for (auto& [name, p] : params_) {
    if (p.grad().defined()) p.mutable_grad().zero_();
  }
}

void Optimizer::load_state(const std::map<std::string, at::Tensor>& state) {
  for (const auto& [key, value] : state) {
    auto it = state_.find(key);
    if (it != state_.end() && it->second.sizes() != value.sizes()) {
      throw Error("optimizer state '" + key + "' has shape " + c10::str(value.sizes()) + ", expected " +
                  c10::str(it->second.sizes()));
    }
  }
  state_.clear();
  for (const auto& [key, value] : state) state_[key] = value.clone();
}

at::Tensor& Optimizer::slot(const std::string& name, const std::string& slot, const at::Tensor& like) {
  auto& t = state_[name + "/" + slot];
  if (!t.defined()) {
    t = at::zeros_like(like, at::MemoryFormat::Contiguous);
  } else if (t.device() != like.device()) {
    t = t.to(like.device());  // restored from a checkpoint, which holds host tensors
  }
  return t;
}

bool Optimizer::decays(const std::string& name) const {
  // Conv/Gemm weights decay; BatchNorm scales/shifts and biases do not (standard for detectors).
  const std::string suffix = ".weight";
  return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void Optimizer::step(double lr) {
  at::NoGradGuard no_grad;
  for (auto& [name, p] : params_) {
    if (!p.grad().defined()) continue;
    const at::Tensor g = p.grad();
    update(name, p, g, lr);
  }
}

namespace {

class Sgd : public Optimizer {
 public:
  using Optimizer::Optimizer;

 protected:
  void update(const std::string& name, at::Tensor& p, const at::Tensor& grad, double lr) override {
    at::Tensor g = grad;
    if (options_.weight_decay > 0 && decays(name)) g = g.add(p, options_.weight_decay);
    if (options_.momentum > 0) {
      at::Tensor& buf = slot(name, "momentum", p);
      buf.mul_(options_.momentum).add_(g);
      g = g.add(buf, options_.momentum);  // Nesterov
    }
    p.add_(g, -lr);
  }
};

class AdamW : public Optimizer {
 public:
  using Optimizer::Optimizer;

 protected:
  void update(const std::string& name, at::Tensor& p, const at::Tensor& g, double lr) override {
    at::Tensor& m = slot(name, "m", p);
    at::Tensor& v = slot(name, "v", p);
    at::Tensor& t = state_[name + "/step"];
    if (!t.defined()) t = at::zeros({1}, at::kDouble);
    t.add_(1);
    const double step = t.item<double>();
    if (options_.weight_decay > 0 && decays(name)) p.mul_(1 - lr * options_.weight_decay);
    m.mul_(options_.beta1).add_(g, 1 - options_.beta1);
    v.mul_(options_.beta2).addcmul_(g, g, 1 - options_.beta2);
    const double bc1 = 1 - std::pow(options_.beta1, step);
    const double bc2 = 1 - std::pow(options_.beta2, step);
    const at::Tensor denom = (v / bc2).sqrt_().add_(options_.eps);
    p.addcdiv_(m, denom, -lr / bc1);
  }
};

template <typename T>
std::unique_ptr<Optimizer> make(NamedTensors params, OptimizerOptions options) {
  return std::make_unique<T>(std::move(params), options);
}

}  // namespace

const Registry<OptimizerFactory>& optimizer_registry() {
  static const Registry<OptimizerFactory> registry = [] {
    Registry<OptimizerFactory> reg("optimizer");
    reg.add("sgd", make<Sgd>);
    reg.add("adamw", make<AdamW>);
    return reg;
  }();
  return registry;
}

}  // namespace qat::train
