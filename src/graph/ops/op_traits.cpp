// The traits of the built-in ops (registry.cpp attaches them) and their lookup.
#include "traits.h"

#include <algorithm>

#include "qat/graph/op_registry.h"

namespace qat::graph {

bool OpTraits::is_constant_input(size_t index) const {
  return std::find(constant_inputs.begin(), constant_inputs.end(), index) != constant_inputs.end();
}

const OpTraits& op_traits(const std::string& op_type) {
  static const OpTraits none;
  const auto& registry = op_registry();
  return registry.contains(op_type) ? registry.get(op_type).traits : none;
}

namespace ops {
namespace {

// Traits with one member set: with(&OpTraits::joins_inputs, true).
template <typename T>
OpTraits with(T OpTraits::*member, T value) {
  OpTraits t;
  t.*member = std::move(value);
  return t;
}

OpTraits quantizable(int64_t (*axis)(const Node&, int64_t)) {
  OpTraits t;
  t.weight_input = 1;
  t.weight_axis = axis;
  return t;
}

}  // namespace

OpTraits conv_traits() {
  OpTraits t = quantizable([](const Node&, int64_t) -> int64_t { return 0; });  // W is [M, C/group, k...]
  t.bias_input = 2;
  t.ort_integer_output = true;
  t.bn_foldable = true;
  t.positive_attributes = {"strides", "dilations", "kernel_shape", "group"};
  return t;
}

OpTraits pool_traits() {
  return with(&OpTraits::positive_attributes, std::vector<std::string>{"strides", "dilations", "kernel_shape"});
}

OpTraits gemm_traits() {
  // B is [K, N], or [N, K] with transB: the output channel is N.
  return quantizable([](const Node& n, int64_t) -> int64_t { return n.attrs.get_int("transB", 0) ? 0 : 1; });
}

OpTraits matmul_traits() {
  return quantizable([](const Node&, int64_t rank) { return rank - 1; });  // B is [..., K, N]
}

OpTraits batch_normalization_traits() {
  OpTraits t;
  t.constant_inputs = {3, 4};
  t.updated_inputs = {3, 4};
  t.folds_into_producer = true;
  return t;
}

OpTraits identity_traits() { return with(&OpTraits::weight_view, WeightView::same_layout); }

OpTraits reshape_traits() {
  OpTraits t;
  t.constant_inputs = {1};
  t.weight_view = WeightView::relayout;
  t.target_shape_input = 1;
  return t;
}

OpTraits resize_traits() {
  OpTraits t;
  t.constant_inputs = {1, 2, 3};
  t.empty_means_omitted = {1, 2};
  return t;
}

OpTraits clip_traits() { return with(&OpTraits::constant_inputs, std::vector<size_t>{1, 2}); }

OpTraits range_traits() {
  OpTraits t;
  t.constant_inputs = {0, 1, 2};  // start, limit, delta
  return t;
}

OpTraits concat_traits() { return with(&OpTraits::joins_inputs, true); }

OpTraits add_traits() { return with(&OpTraits::residual_sum, true); }

OpTraits shape_traits() { return with(&OpTraits::reads_shape_only, true); }

OpTraits mul_traits() { return with(&OpTraits::silu, SiluRole::product); }

OpTraits constant_traits() { return with(&OpTraits::value_from_attribute, true); }

OpTraits softmax_traits() { return with(&OpTraits::distribution, true); }

OpTraits sigmoid_traits() { return with(&OpTraits::silu, SiluRole::sigmoid); }

}  // namespace ops
}  // namespace qat::graph
