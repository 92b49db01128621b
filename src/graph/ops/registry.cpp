// The built-in ops: one line each (kernel factory, input count range, traits when the op declares any).
#include "factories.h"
#include "traits.h"

namespace qat::graph {

const Registry<OpSpec>& op_registry() {
  static const Registry<OpSpec> registry = [] {
    using namespace ops;
    Registry<OpSpec> reg("op");
    reg.add("Conv", {make_conv, 2, 3, conv_traits()});
    reg.add("BatchNormalization", {make_batch_normalization, 5, 5, batch_normalization_traits()});
    reg.add("Gemm", {make_gemm, 2, 3, gemm_traits()});
    reg.add("MatMul", {make_matmul, 2, 2, matmul_traits()});
    reg.add("MaxPool", {make_max_pool, 1, 1, pool_traits()});
    reg.add("AveragePool", {make_average_pool, 1, 1, pool_traits()});
    reg.add("GlobalAveragePool", {make_global_average_pool, 1, 1});
    reg.add("Resize", {make_resize, 1, 4, resize_traits()});
    reg.add("Add", {make_add, 2, 2, add_traits()});
    reg.add("Sub", {make_sub, 2, 2});
    reg.add("Mul", {make_mul, 2, 2, mul_traits()});
    reg.add("Div", {make_div, 2, 2});
    reg.add("Pow", {make_pow, 2, 2});
    reg.add("Min", {make_min, 1, 1 << 20});
    reg.add("Max", {make_max, 1, 1 << 20});
    reg.add("Equal", {make_equal, 2, 2});
    reg.add("Where", {make_where, 3, 3});
    reg.add("Neg", {make_neg, 1, 1});
    reg.add("Abs", {make_abs, 1, 1});
    reg.add("Sqrt", {make_sqrt, 1, 1});
    reg.add("Reciprocal", {make_reciprocal, 1, 1});
    reg.add("Log", {make_log, 1, 1});
    reg.add("Floor", {make_floor, 1, 1});
    reg.add("Ceil", {make_ceil, 1, 1});
    reg.add("Erf", {make_erf, 1, 1});
    reg.add("HardSigmoid", {make_hard_sigmoid, 1, 1});
    reg.add("HardSwish", {make_hard_swish, 1, 1});
    reg.add("Relu", {make_relu, 1, 1});
    reg.add("LeakyRelu", {make_leaky_relu, 1, 1});
    reg.add("Sigmoid", {make_sigmoid, 1, 1, sigmoid_traits()});
    reg.add("Tanh", {make_tanh, 1, 1});
    reg.add("Exp", {make_exp, 1, 1});
    reg.add("Identity", {make_identity, 1, 1, identity_traits()});
    reg.add("Softmax", {make_softmax, 1, 1, softmax_traits()});
    reg.add("Clip", {make_clip, 1, 3, clip_traits()});
    reg.add("Concat", {make_concat, 1, 1 << 20, concat_traits()});
    reg.add("Split", {make_split, 1, 2});
    reg.add("Slice", {make_slice, 3, 5});
    reg.add("Reshape", {make_reshape, 2, 2, reshape_traits()});
    reg.add("Transpose", {make_transpose, 1, 1});
    reg.add("Flatten", {make_flatten, 1, 1});
    reg.add("Unsqueeze", {make_unsqueeze, 2, 2});
    reg.add("Squeeze", {make_squeeze, 1, 2});
    reg.add("Shape", {make_shape, 1, 1, shape_traits()});
    reg.add("Constant", {make_constant, 0, 0, constant_traits()});
    reg.add("ConstantOfShape", {make_constant_of_shape, 1, 1});
    reg.add("Cast", {make_cast, 1, 1});
    reg.add("Gather", {make_gather, 2, 2});
    reg.add("Expand", {make_expand, 2, 2});
    reg.add("Range", {make_range, 3, 3, range_traits()});
    reg.add("ReduceMean", {make_reduce_mean, 1, 1});
    reg.add("ReduceSum", {make_reduce_sum, 1, 2});
    reg.add("ReduceMax", {make_reduce_max, 1, 1});
    reg.add("ReduceMin", {make_reduce_min, 1, 1});
    reg.add("InstanceNormalization", {make_instance_normalization, 3, 3});
    reg.add("LogSoftmax", {make_log_softmax, 1, 1});
    reg.add("Hardmax", {make_hardmax, 1, 1});
    reg.add("Tile", {make_tile, 2, 2});
    return reg;
  }();
  return registry;
}

namespace {

const at::Tensor& constant_input(const Node& node, const Graph& graph, size_t index) {
  QAT_CHECK(index < node.inputs.size() && !node.inputs[index].empty(), "node '", node.name,
            "' (", node.op_type, "): input ", index, " is required");
  QAT_CHECK(graph.has_initializer(node.inputs[index]), "node '", node.name, "' (", node.op_type,
            "): input ", index, " ('", node.inputs[index], "') must be a constant");
  return graph.initializer(node.inputs[index]);
}

}  // namespace

std::vector<int64_t> constant_ints(const Node& node, const Graph& graph, size_t index) {
  const at::Tensor t = constant_input(node, graph, index).to(at::kLong).contiguous();
  return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
}

std::vector<double> constant_floats(const Node& node, const Graph& graph, size_t index) {
  const at::Tensor t = constant_input(node, graph, index).to(at::kDouble).contiguous();
  return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
}

}  // namespace qat::graph
