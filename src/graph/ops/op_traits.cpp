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
  return t;
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

OpTraits identity_traits() {
  OpTraits t;
  t.weight_view = WeightView::same_layout;
  return t;
}

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

OpTraits clip_traits() {
  OpTraits t;
  t.constant_inputs = {1, 2};
  return t;
}

OpTraits range_traits() {
  OpTraits t;
  t.constant_inputs = {0, 1, 2};  // start, limit, delta
  return t;
}

OpTraits concat_traits() {
  OpTraits t;
  t.joins_inputs = true;
  return t;
}

OpTraits add_traits() {
  OpTraits t;
  t.residual_sum = true;
  return t;
}

OpTraits shape_traits() {
  OpTraits t;
  t.reads_shape_only = true;
  return t;
}

OpTraits mul_traits() {
  OpTraits t;
  t.silu = SiluRole::product;
  return t;
}

OpTraits constant_traits() {
  OpTraits t;
  t.value_from_attribute = true;
  return t;
}

OpTraits softmax_traits() {
  OpTraits t;
  t.distribution = true;
  return t;
}

OpTraits sigmoid_traits() {
  OpTraits t;
  t.silu = SiluRole::sigmoid;
  return t;
}

}  // namespace ops
}  // namespace qat::graph
