#include "qat/quant/quantizer_set.h"

#include <c10/util/intrusive_ptr.h>

#include "qat/core/error.h"
#include "qat/quant/registry.h"

namespace qat::quant {
namespace {

// A point read by several nodes (a value feeding two convs) would be fake-quantized
// once per edge, forward and backward. The same tensor gives the same image, so the
// later edges of a run reuse the first edge's result: when it is the very input
// (same TensorImpl, unchanged version) in the same grad mode, the quantizer fake-
// quantizes without observing (observing re-derives the range on every call), and
// the first result is still alive (in training the consumers' autograd graph holds
// it). Weak references: the memo never keeps the input or the result alive, and
// while it refers to a TensorImpl no other tensor can take that address.
class EdgeMemo {
 public:
  /// `rewrite(q, x)`, or the result of the same call on the same `x` earlier in the run.
  template <class Rewrite>
  at::Tensor operator()(FakeQuantizer& q, const at::Tensor& x, const Rewrite& rewrite) {
    if (!q.fake_quant_enabled() || q.observing() || x.is_inference()) return rewrite(q, x);
    const bool grad = at::GradMode::is_enabled();
    if (input_._unsafe_get_target() == x.unsafeGetTensorImpl() && !input_.expired() && version_ == x._version() &&
        grad_ == grad) {
      auto y = output_.lock();
      if (y.defined()) return at::Tensor(std::move(y));
    }
    at::Tensor y = rewrite(q, x);
    input_ = Weak(x.getIntrusivePtr());
    output_ = Weak(y.getIntrusivePtr());
    version_ = x._version();
    grad_ = grad;
    return y;
  }

 private:
  using Strong = c10::intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>;
  using Weak = c10::weak_intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>;
  Weak input_{Strong()};
  Weak output_{Strong()};
  int64_t version_ = -1;
  bool grad_ = false;
};

// The two rewrites of an edge: of the value itself, and of silu(x) given x (the
// executor's choice when the value is a SiLU read only by quantized edges).
at::Tensor quantize_value(FakeQuantizer& q, const at::Tensor& x) { return q(x); }
at::Tensor quantize_silu_of(FakeQuantizer& q, const at::Tensor& x) { return q.of_silu(x); }

}  // namespace

QuantizerSet::QuantizerSet(QuantPlan plan, bool learnable_scale) : plan_(std::move(plan)) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < plan_.points.size(); ++i) index[plan_.points[i].value] = i;
  quantizers_.resize(plan_.points.size());
  for (size_t i = 0; i < plan_.points.size(); ++i) {
    const auto& p = plan_.points[i];
    if (!p.shares_with.empty()) continue;
    auto observer = observer_registry().get(p.observer)(p.spec);
    quantizers_[i] = std::make_shared<FakeQuantizer>(p.spec, std::move(observer), learnable_scale && !p.fixed);
    if (p.fixed) {
      quantizers_[i]->set_qparams({at::tensor({static_cast<float>(p.fixed->scale)}),
                                   at::tensor({p.fixed->zero_point}, at::kInt)});
      quantizers_[i]->set_observing(false);
    }
  }
  for (size_t i = 0; i < plan_.points.size(); ++i) {
    const auto& p = plan_.points[i];
    if (p.shares_with.empty()) continue;
    auto it = index.find(p.shares_with);
    QAT_CHECK(it != index.end() && quantizers_[it->second], "point '", p.value, "' shares the quantizer of '",
              p.shares_with, "', which is not a quantization point of its own");
    quantizers_[i] = quantizers_[it->second];
  }
}

void QuantizerSet::attach(graph::Executor& executor) {
  for (size_t i = 0; i < plan_.points.size(); ++i) {
    std::shared_ptr<FakeQuantizer> q = quantizers_[i];
    const auto& edges = plan_.points[i].edges;
    if (edges.size() == 1) {
      executor.set_edge_transform(
          edges[0].first, edges[0].second, [q](const at::Tensor& x) { return quantize_value(*q, x); },
          [q](const at::Tensor& x) { return quantize_silu_of(*q, x); });
      continue;
    }
    auto memo = std::make_shared<EdgeMemo>(), silu_memo = std::make_shared<EdgeMemo>();
    for (const auto& [node, input] : edges) {
      executor.set_edge_transform(
          node, input, [q, memo](const at::Tensor& x) { return (*memo)(*q, x, quantize_value); },
          [q, silu_memo](const at::Tensor& x) { return (*silu_memo)(*q, x, quantize_silu_of); });
    }
  }
}

void QuantizerSet::set_mode(QuantizerMode mode) {
  const bool weights = mode == QuantizerMode::calibrate || mode == QuantizerMode::train_observing ||
                       mode == QuantizerMode::train;
  const bool activations = mode == QuantizerMode::calibrate || mode == QuantizerMode::train_observing;
  const bool fake_quant = mode != QuantizerMode::calibrate && mode != QuantizerMode::bypass;
  for (size_t i = 0; i < quantizers_.size(); ++i) {
    quantizers_[i]->set_fake_quant(fake_quant);
    if (plan_.points[i].fixed) continue;  // fixed qparams never observe
    quantizers_[i]->set_observing(plan_.points[i].is_weight ? weights : activations);
  }
}

std::vector<std::pair<std::string, at::Tensor>> QuantizerSet::parameters() {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (size_t i = 0; i < quantizers_.size(); ++i) {
    if (!quantizers_[i]->learnable() || !plan_.points[i].shares_with.empty()) continue;
    for (auto& t : quantizers_[i]->parameters()) out.emplace_back("quant." + plan_.points[i].value + ".scale", t);
  }
  return out;
}

std::map<std::string, QParams> QuantizerSet::qparams() const {
  std::map<std::string, QParams> out;
  for (size_t i = 0; i < quantizers_.size(); ++i) out[plan_.points[i].value] = quantizers_[i]->qparams();
  return out;
}

void QuantizerSet::set_qparams(const std::map<std::string, QParams>& qparams) {
  for (size_t i = 0; i < quantizers_.size(); ++i) {
    auto it = qparams.find(plan_.points[i].value);
    QAT_CHECK(it != qparams.end(), "no quantization parameters for '", plan_.points[i].value, "'");
    quantizers_[i]->set_qparams(it->second);
  }
}

}  // namespace qat::quant
