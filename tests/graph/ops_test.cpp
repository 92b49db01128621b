// Each op's ONNX semantics on small hand-made cases.
#include "qat/graph/executor.h"

#include "support/test_support.h"

namespace qat::graph {
namespace {

// Runs a one-node graph: inputs x0.. (runtime), constants as initializers.
std::vector<at::Tensor> run_op(const std::string& op, const std::vector<at::Tensor>& runtime,
                               const std::vector<std::pair<int, at::Tensor>>& constants,
                               const Attributes& attrs = {}, int outputs = 1) {
  Graph g;
  Node n{"n", op, {}, {}, attrs};
  // Constants sit at their index; runtime inputs fill the first free slots; the
  // rest (e.g. Resize's roi) stay omitted ("").
  size_t total = runtime.size() + constants.size();
  for (const auto& c : constants) total = std::max(total, static_cast<size_t>(c.first) + 1);
  n.inputs.assign(total, "");
  for (const auto& [index, t] : constants) {
    const std::string name = "c" + std::to_string(index);
    g.set_initializer(name, t);
    n.inputs[index] = name;
  }
  size_t r = 0;
  for (size_t i = 0; i < total && r < runtime.size(); ++i) {
    if (!n.inputs[i].empty()) continue;
    const std::string name = "x" + std::to_string(r);
    g.add_input({name, runtime[r].sizes().vec()});
    n.inputs[i] = name;
    ++r;
  }
  for (int o = 0; o < outputs; ++o) {
    n.outputs.push_back("y" + std::to_string(o));
    g.add_output({"y" + std::to_string(o), {}});
  }
  g.add_node(n);
  Executor exec(g);
  ValueMap in;
  for (size_t i = 0; i < runtime.size(); ++i) in["x" + std::to_string(i)] = runtime[i];
  const auto out = exec.run(in);
  std::vector<at::Tensor> result;
  for (int o = 0; o < outputs; ++o) result.push_back(out.at("y" + std::to_string(o)));
  return result;
}

at::Tensor ints(std::vector<int64_t> v) { return at::tensor(v, at::kLong); }
at::Tensor floats(std::vector<float> v) { return at::tensor(v); }

void expect_equal(const at::Tensor& got, const at::Tensor& want) {
  ASSERT_EQ(got.sizes(), want.sizes());
  EXPECT_TRUE(at::allclose(got.to(at::kFloat), want.to(at::kFloat))) << got << "\nvs\n" << want;
}

}  // namespace

TEST(Ops, ReshapeZeroCopiesTheInputDimension) {
  const auto x = at::arange(24).reshape({2, 3, 4}).to(at::kFloat);
  const auto y = run_op("Reshape", {x}, {{1, ints({0, -1})}})[0];
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 12}));
}

TEST(Ops, SliceClampsBoundsAndSupportsSteps) {
  const auto x = at::arange(10).to(at::kFloat);
  expect_equal(run_op("Slice", {x}, {{1, ints({1})}, {2, ints({INT64_MAX})}, {3, ints({0})}, {4, ints({3})}})[0],
               floats({1, 4, 7}));
  expect_equal(run_op("Slice", {x}, {{1, ints({-3})}, {2, ints({100})}})[0], floats({7, 8, 9}));
}

TEST(Ops, SplitBySizesOrEqually) {
  const auto x = at::arange(6).to(at::kFloat);
  auto parts = run_op("Split", {x}, {{1, ints({2, 4})}}, {}, 2);
  expect_equal(parts[0], floats({0, 1}));
  expect_equal(parts[1], floats({2, 3, 4, 5}));
  parts = run_op("Split", {x}, {}, {}, 3);
  expect_equal(parts[2], floats({4, 5}));
}

TEST(Ops, ConcatAndTranspose) {
  Attributes axis;
  axis.set("axis", int64_t{1});
  const auto y = run_op("Concat", {at::zeros({1, 2}), at::ones({1, 1})}, {}, axis)[0];
  expect_equal(y, floats({0, 0, 1}).reshape({1, 3}));
  Attributes perm;
  perm.set("perm", std::vector<int64_t>{1, 0});
  expect_equal(run_op("Transpose", {floats({1, 2}).reshape({1, 2})}, {}, perm)[0],
               floats({1, 2}).reshape({2, 1}));
}

TEST(Ops, ConcatRequiresAxis) {
  ASSERT_THROWS_WITH(run_op("Concat", {at::zeros({1})}, {}), Error,
                     "node 'n' (Concat): attribute 'axis' is required\n  while building node 'n' (Concat)");
}

TEST(Ops, ResizeNearestDoublesEachPixel) {
  const auto x = floats({1, 2, 3, 4}).reshape({1, 1, 2, 2});
  const auto y = run_op("Resize", {x}, {{2, floats({1, 1, 2, 2})}})[0];
  expect_equal(y, floats({1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}).reshape({1, 1, 4, 4}));
}

TEST(Ops, MaxPoolWithPadding) {
  const auto x = floats({1, 5, 3, 2}).reshape({1, 1, 2, 2});
  Attributes a;
  a.set("kernel_shape", std::vector<int64_t>{3, 3});
  a.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  expect_equal(run_op("MaxPool", {x}, {}, a)[0], floats({5, 5, 5, 5}).reshape({1, 1, 2, 2}));
}

TEST(Ops, ConvWithAsymmetricPads) {
  // 1x1 input, 2x2 ones kernel, pads: top 1, left 0, bottom 0, right 1.
  const auto x = floats({3}).reshape({1, 1, 1, 1});
  const auto w = at::ones({1, 1, 2, 2});
  Attributes a;
  a.set("pads", std::vector<int64_t>{1, 0, 0, 1});
  const auto y = run_op("Conv", {x}, {{1, w}}, a)[0];
  expect_equal(y, floats({3}).reshape({1, 1, 1, 1}));
}

TEST(Ops, GemmWithTransposeAlphaBeta) {
  const auto a = floats({1, 2}).reshape({1, 2});
  const auto b = floats({1, 0, 0, 1, 1, 1}).reshape({3, 2});  // transB -> [2,3]
  Attributes at;
  at.set("transB", int64_t{1});
  at.set("alpha", 2.0);
  at.set("beta", 0.5);
  const auto y = run_op("Gemm", {a}, {{1, b}, {2, floats({2, 2, 2})}}, at)[0];
  expect_equal(y, floats({3, 5, 7}).reshape({1, 3}));
}

TEST(Ops, ClipUsesOptionalBounds) {
  const auto x = floats({-2, 0.5, 9});
  expect_equal(run_op("Clip", {x}, {{1, floats({0})}, {2, floats({6})}})[0], floats({0, 0.5, 6}));
}

TEST(Ops, UnsqueezeAndSqueezeTakeAxesAsInput) {
  const auto x = floats({1, 2});
  const auto u = run_op("Unsqueeze", {x}, {{1, ints({0, 2})}})[0];
  EXPECT_EQ(u.sizes(), (std::vector<int64_t>{1, 2, 1}));
  EXPECT_EQ(run_op("Squeeze", {u}, {{1, ints({-1})}})[0].sizes(), (std::vector<int64_t>{1, 2}));
}

TEST(Ops, FlattenAndGlobalAveragePool) {
  const auto x = at::arange(8).to(at::kFloat).reshape({1, 2, 2, 2});
  expect_equal(run_op("GlobalAveragePool", {x}, {})[0], floats({1.5, 5.5}).reshape({1, 2, 1, 1}));
  EXPECT_EQ(run_op("Flatten", {x}, {})[0].sizes(), (std::vector<int64_t>{1, 8}));
}

TEST(Ops, NonConstantShapeIsRefused) {
  ASSERT_THROWS_WITH(run_op("Reshape", {at::zeros({2}), ints({2})}, {}), Error,
                     "node 'n' (Reshape): input 1 ('x1') must be a constant\n  while building node 'n' (Reshape)");
}

}  // namespace qat::graph
