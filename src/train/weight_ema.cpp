#include "qat/train/weight_ema.h"

#include <cmath>

#include "qat/core/error.h"

namespace qat::train {
namespace {

using Named = std::vector<std::pair<std::string, at::Tensor>>;

// Parameters and buffers by their checkpoint key.
Named averaged_tensors(const graph::Graph& g) {
  Named out;
  for (const auto& [name, t] : g.parameters()) out.emplace_back("params/" + name, t);
  for (const auto& [name, t] : g.buffers()) out.emplace_back("buffers/" + name, t);
  return out;
}

}  // namespace

WeightEma::WeightEma(graph::Graph& average, double decay, double tau) : average_(average), decay_(decay), tau_(tau) {
  QAT_CHECK(decay >= 0 && decay < 1, "EMA decay must be in [0, 1), got ", decay);
  QAT_CHECK(tau > 0, "EMA tau must be positive, got ", tau);
}

double WeightEma::next_decay() const {
  return decay_ * (1.0 - std::exp(-static_cast<double>(updates_ + 1) / tau_));
}

void WeightEma::update(const graph::Graph& live) {
  const double d = next_decay();
  at::NoGradGuard no_grad;
  const Named avg = averaged_tensors(average_);
  const Named cur = averaged_tensors(live);
  QAT_ASSERT(avg.size() == cur.size(), "EMA graphs differ in their weights");
  for (size_t i = 0; i < avg.size(); ++i) {
    QAT_ASSERT(avg[i].first == cur[i].first, "EMA graphs differ at ", avg[i].first);
    at::Tensor a = avg[i].second;
    a.mul_(d).add_(cur[i].second.detach(), 1.0 - d);
  }
  ++updates_;
}

std::map<std::string, at::Tensor> WeightEma::state() const {
  std::map<std::string, at::Tensor> out;
  for (const auto& [key, t] : averaged_tensors(average_)) out[key] = t.detach().clone();
  out["updates"] = at::scalar_tensor(updates_, at::kLong);
  return out;
}

void WeightEma::load_state(const std::map<std::string, at::Tensor>& state) {
  at::NoGradGuard no_grad;
  for (const auto& [key, t] : averaged_tensors(average_)) {
    auto it = state.find(key);
    QAT_CHECK(it != state.end(), "EMA state has no '", key, "'");
    QAT_CHECK(it->second.sizes() == t.sizes(), "EMA state '", key, "' has shape ", it->second.sizes(),
              ", the model has ", t.sizes());
    at::Tensor dst = t;
    dst.copy_(it->second);
  }
  auto it = state.find("updates");
  QAT_CHECK(it != state.end(), "EMA state has no 'updates'");
  updates_ = it->second.item<int64_t>();
}

}  // namespace qat::train
