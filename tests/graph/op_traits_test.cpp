// The traits the built-in ops declare, and the weight sources they let passes see through.
#include "qat/graph/op_traits.h"

#include "qat/graph/weight_source.h"
#include "support/test_support.h"

namespace qat::graph {
namespace {

Node node(const std::string& op, Attributes attrs = {}) { return Node{"n", op, {}, {}, std::move(attrs)}; }

}  // namespace

TEST(OpTraits, QuantizableOpsNameTheirWeightAndItsChannelAxis) {
  const OpTraits& conv = op_traits("Conv");
  ASSERT_TRUE(conv.quantizable());
  EXPECT_EQ(*conv.weight_input, 1u);
  EXPECT_EQ(conv.weight_axis(node("Conv"), 4), 0);
  EXPECT_EQ(*conv.bias_input, 2u);
  EXPECT_TRUE(conv.bn_foldable);
  EXPECT_TRUE(conv.ort_integer_output);

  const OpTraits& gemm = op_traits("Gemm");
  ASSERT_TRUE(gemm.quantizable());
  Attributes trans_b;
  trans_b.set("transB", int64_t{1});
  EXPECT_EQ(gemm.weight_axis(node("Gemm"), 2), 1);           // B is [K, N]
  EXPECT_EQ(gemm.weight_axis(node("Gemm", trans_b), 2), 0);  // B is [N, K]
  EXPECT_FALSE(gemm.bn_foldable);

  const OpTraits& matmul = op_traits("MatMul");
  ASSERT_TRUE(matmul.quantizable());
  EXPECT_EQ(matmul.weight_axis(node("MatMul"), 3), 2);  // B is [..., K, N]
  EXPECT_FALSE(matmul.ort_integer_output);

  for (const char* op : {"Relu", "Add", "Identity", "Reshape", "BatchNormalization", "NoSuchOp"}) {
    EXPECT_FALSE(op_traits(op).quantizable()) << op;
  }
}

TEST(OpTraits, ConstantSlotsSeeThroughAndRoles) {
  EXPECT_EQ(op_traits("BatchNormalization").constant_inputs, (std::vector<size_t>{3, 4}));
  EXPECT_EQ(op_traits("BatchNormalization").updated_inputs, (std::vector<size_t>{3, 4}));
  EXPECT_TRUE(op_traits("BatchNormalization").folds_into_producer);
  EXPECT_EQ(op_traits("Resize").constant_inputs, (std::vector<size_t>{1, 2, 3}));
  EXPECT_EQ(op_traits("Resize").empty_means_omitted, (std::vector<size_t>{1, 2}));
  EXPECT_TRUE(op_traits("Clip").is_constant_input(2));
  EXPECT_FALSE(op_traits("Clip").is_constant_input(0));
  EXPECT_EQ(op_traits("Identity").weight_view, WeightView::same_layout);
  EXPECT_EQ(op_traits("Reshape").weight_view, WeightView::relayout);
  EXPECT_EQ(op_traits("Relu").weight_view, WeightView::none);
  EXPECT_TRUE(op_traits("Concat").joins_inputs);
  EXPECT_TRUE(op_traits("Add").residual_sum);
  EXPECT_TRUE(op_traits("Shape").reads_shape_only);
  EXPECT_EQ(op_traits("Sigmoid").silu, SiluRole::sigmoid);
  EXPECT_EQ(op_traits("Mul").silu, SiluRole::product);
  EXPECT_TRUE(op_traits("NoSuchOp").constant_inputs.empty());
  EXPECT_EQ(op_traits("Reshape").target_shape_input, std::optional<size_t>(1));
  EXPECT_FALSE(op_traits("Expand").target_shape_input);  // its 0s do not copy
  EXPECT_TRUE(op_traits("Constant").value_from_attribute);
  EXPECT_FALSE(op_traits("ConstantOfShape").value_from_attribute);
  EXPECT_TRUE(op_traits("Softmax").distribution);
  EXPECT_FALSE(op_traits("LogSoftmax").distribution);
}

TEST(WeightSource, TracesThroughIdentityAndReshapeButNotThroughComputation) {
  Graph g;
  g.add_input({"x", {1, 8}});
  g.set_initializer("w", at::arange(8, at::kFloat).reshape({2, 4}), true);
  g.set_initializer("shape", at::tensor(std::vector<int64_t>{4, -1}, at::kLong));
  g.add_node({"id1", "Identity", {"w"}, {"w1"}, {}});
  g.add_node({"id2", "Identity", {"w1"}, {"w2"}, {}});
  g.add_node({"flat", "Reshape", {"w2", "shape"}, {"w3"}, {}});
  g.add_node({"relu", "Relu", {"w"}, {"w4"}, {}});
  g.add_node({"mm", "MatMul", {"x", "w3"}, {"y"}, {}});
  g.add_output({"y", {1, 2}});

  const auto direct = trace_weight(g, "w");
  ASSERT_TRUE(direct);
  EXPECT_EQ(direct->initializer, "w");
  EXPECT_TRUE(direct->through.empty());
  EXPECT_EQ(direct->shape, (std::vector<int64_t>{2, 4}));

  const auto identity = trace_weight(g, "w2");
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->initializer, "w");
  EXPECT_EQ(identity->through, (std::vector<std::string>{"id1", "id2"}));
  EXPECT_TRUE(identity->same_layout);

  const auto reshaped = trace_weight(g, "w3");
  ASSERT_TRUE(reshaped);
  EXPECT_EQ(reshaped->through, (std::vector<std::string>{"id1", "id2", "flat"}));
  EXPECT_FALSE(reshaped->same_layout);
  EXPECT_EQ(reshaped->shape, (std::vector<int64_t>{4, 2}));
  EXPECT_TRUE(at::equal(weight_as_read(g, *reshaped), at::arange(8, at::kFloat).reshape({4, 2})));

  EXPECT_FALSE(trace_weight(g, "w4"));  // Relu computes
  EXPECT_FALSE(trace_weight(g, "x"));   // an input

  EXPECT_TRUE(read_only_by(g, "w1", {{"mm", 1}}));   // w1 → id2 → flat → mm
  EXPECT_FALSE(read_only_by(g, "w", {{"mm", 1}}));   // relu reads w too
  EXPECT_FALSE(read_only_by(g, "w3", {{"mm", 0}}));  // another edge
  EXPECT_FALSE(read_only_by(g, "y", {}));            // a graph output
}

}  // namespace qat::graph
