#include "qat/distill/distill_objective.h"

#include <algorithm>

#include "qat/distill/registry.h"

namespace qat::distill {

DistillObjective::DistillObjective(std::vector<LossSpec> specs) : specs_(std::move(specs)) {
  QAT_CHECK(!specs_.empty(), "distillation: no losses given");
  std::map<std::string, int> seen;
  for (const auto& spec : specs_) {
    QAT_CHECK(spec.weight >= 0, "distillation loss '", spec.type, "': weight must be >= 0, got ", spec.weight);
    losses_.push_back(loss_registry().get(spec.type)(spec));
    const int n = ++seen[spec.type];
    keys_.push_back(n == 1 ? spec.type : spec.type + "#" + std::to_string(n));
  }
}

DistillObjective::~DistillObjective() = default;
DistillObjective::DistillObjective(DistillObjective&&) noexcept = default;
DistillObjective& DistillObjective::operator=(DistillObjective&&) noexcept = default;

DistillObjective::Parts DistillObjective::compute(const DistillContext& ctx) const {
  Parts parts;
  for (size_t i = 0; i < losses_.size(); ++i) {
    at::Tensor value;
    try {
      value = losses_[i]->compute(ctx);
    } catch (Error& e) {
      e.add_context("computing distillation loss '" + keys_[i] + "'");
      throw;
    }
    parts.values[keys_[i]] = value.item<double>();
    const at::Tensor term = value * specs_[i].weight;
    parts.total = parts.total.defined() ? parts.total + term : term;
  }
  return parts;
}

std::vector<std::string> DistillObjective::taps() const {
  std::vector<std::string> out;
  for (const auto& spec : specs_) {
    if (spec.type != "feature_mse" && spec.type != "feature_cosine") continue;
    for (const auto& tap : spec.taps) {
      if (std::find(out.begin(), out.end(), tap) == out.end()) out.push_back(tap);
    }
  }
  return out;
}

}  // namespace qat::distill
