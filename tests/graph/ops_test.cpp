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

// ONNX's Resize examples (onnx/docs/Operators.md) on X = [[1, 2, 3, 4], [5, 6, 7, 8]].
static at::Tensor resize(const std::string& mode, const std::string& transform, const at::Tensor& x,
                         const std::vector<float>& scales, const std::string& nearest_mode = "round_prefer_floor") {
  Attributes a;
  a.set("mode", mode);
  a.set("coordinate_transformation_mode", transform);
  a.set("nearest_mode", nearest_mode);
  return run_op("Resize", {x}, {{2, at::tensor(scales)}}, a)[0];
}

TEST(Ops, ResizeDownscalesLikeOnnx) {
  const auto x = floats({1, 2, 3, 4, 5, 6, 7, 8}).reshape({1, 1, 2, 4});
  expect_equal(resize("nearest", "half_pixel", x, {1, 1, 0.6f, 0.6f}), floats({1, 3}).reshape({1, 1, 1, 2}));
  EXPECT_TRUE(at::allclose(resize("linear", "half_pixel", x, {1, 1, 0.6f, 0.6f}),
                           floats({2.6666665f, 4.3333331f}).reshape({1, 1, 1, 2})));
  EXPECT_TRUE(at::allclose(resize("linear", "align_corners", x, {1, 1, 0.6f, 0.6f}),
                           floats({1, 3.142857f}).reshape({1, 1, 1, 2})));
}

TEST(Ops, ResizeNearestModesRoundHalfwayCoordinates) {
  // asymmetric x 1.5 on 2 pixels: output 0..2 read input coordinates 0, 2/3, 4/3.
  const auto x = floats({10, 20}).reshape({1, 1, 1, 2});
  expect_equal(resize("nearest", "asymmetric", x, {1, 1, 1, 1.5f}, "floor"), floats({10, 10, 20}).reshape({1, 1, 1, 3}));
  expect_equal(resize("nearest", "asymmetric", x, {1, 1, 1, 1.5f}, "ceil"), floats({10, 20, 20}).reshape({1, 1, 1, 3}));
  // asymmetric x 2: coordinate 0.5 is a tie, settled by the preference.
  expect_equal(resize("nearest", "asymmetric", x, {1, 1, 1, 2}, "round_prefer_ceil"),
               floats({10, 20, 20, 20}).reshape({1, 1, 1, 4}));
  expect_equal(resize("nearest", "asymmetric", x, {1, 1, 1, 2}, "round_prefer_floor"),
               floats({10, 10, 20, 20}).reshape({1, 1, 1, 4}));
}

TEST(Ops, ResizeIntegerUpscaleFastPathMatchesTheGather) {
  // A rank-5 input takes the per-axis gather; the rank-4 one ATen's upsample_nearest2d.
  at::manual_seed(0);
  const auto x = at::rand({2, 3, 4, 5});
  for (const char* transform : {"half_pixel", "asymmetric"}) {
    const std::string rounding = std::string(transform) == "asymmetric" ? "floor" : "round_prefer_floor";
    const auto fast = resize("nearest", transform, x, {1, 1, 2, 3}, rounding);
    const auto gathered = resize("nearest", transform, x.unsqueeze(2), {1, 1, 1, 2, 3}, rounding);
    ASSERT_EQ(fast.sizes(), (std::vector<int64_t>{2, 3, 8, 15}));
    expect_equal(gathered.squeeze(2), fast);
  }
}

TEST(Ops, ResizeLinearPassesGradients) {
  const auto x = floats({1, 2, 3, 4}).reshape({1, 1, 2, 2}).requires_grad_(true);
  const auto y = resize("linear", "half_pixel", x, {1, 1, 2, 2});
  y.sum().backward();
  // By symmetry each of the 4 inputs carries a quarter of the 16 unit weights.
  expect_equal(x.grad(), at::full({1, 1, 2, 2}, 4.0f));
}

TEST(Ops, ResizeRefusesWhatItDoesNotRunNamingNodeAndAttribute) {
  const auto x = floats({1, 2, 3, 4}).reshape({1, 1, 2, 2});
  ASSERT_THROWS_WITH(resize("linear", "tf_crop_and_resize", x, {1, 1, 2, 2}), Error,
                     "node 'n' (Resize): coordinate_transformation_mode 'tf_crop_and_resize' is not supported "
                     "(half_pixel, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn)\n"
                     "  while building node 'n' (Resize)");
  ASSERT_THROWS_WITH(resize("cubic", "half_pixel", x, {1, 1, 2, 2}), Error,
                     "node 'n' (Resize): mode 'cubic' is not supported (nearest, linear)\n"
                     "  while building node 'n' (Resize)");
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

TEST(Ops, NonConstantAxesAreRefused) {
  // Reshape and Expand read a computed shape at run time; axes must be constants.
  ASSERT_THROWS_WITH(run_op("Unsqueeze", {at::zeros({2}), ints({0})}, {}), Error,
                     "node 'n' (Unsqueeze): input 1 ('x1') must be a constant\n  while building node 'n' (Unsqueeze)");
}

TEST(Ops, IntegerDivTruncatesAndPowKeepsTheBaseType) {
  expect_equal(run_op("Div", {ints({7, -7, 9})}, {{1, ints({2, 2, 3})}})[0], ints({3, -3, 3}));
  EXPECT_EQ(run_op("Div", {ints({7})}, {{1, ints({2})}})[0].scalar_type(), at::kLong);
  expect_equal(run_op("Div", {floats({7})}, {{1, floats({2})}})[0], floats({3.5}));
  const auto p = run_op("Pow", {ints({2, 3})}, {{1, floats({2})}})[0];
  EXPECT_EQ(p.scalar_type(), at::kLong);
  expect_equal(p, ints({4, 9}));
}

TEST(Ops, UnaryMathGoldens) {
  const auto x = floats({-2.5, 0.25, 4});
  expect_equal(run_op("Neg", {x}, {})[0], floats({2.5, -0.25, -4}));
  expect_equal(run_op("Abs", {x}, {})[0], floats({2.5, 0.25, 4}));
  expect_equal(run_op("Floor", {x}, {})[0], floats({-3, 0, 4}));
  expect_equal(run_op("Ceil", {x}, {})[0], floats({-2, 1, 4}));
  expect_equal(run_op("Reciprocal", {x}, {})[0], floats({-0.4f, 4, 0.25}));
  expect_equal(run_op("Sqrt", {floats({0, 0.25, 9})}, {})[0], floats({0, 0.5, 3}));
  expect_equal(run_op("Log", {floats({1, 1})}, {})[0], floats({0, 0}));
  expect_equal(run_op("Erf", {floats({0})}, {})[0], floats({0}));
}

TEST(Ops, HardSigmoidAndHardSwishSaturate) {
  const auto x = floats({-4, -1, 0, 1, 4});
  // HardSigmoid defaults alpha 0.2, beta 0.5: clamp(0.2x + 0.5, 0, 1).
  expect_equal(run_op("HardSigmoid", {x}, {})[0], floats({0, 0.3f, 0.5f, 0.7f, 1}));
  Attributes a;
  a.set("alpha", 0.5);
  a.set("beta", 0.0);
  expect_equal(run_op("HardSigmoid", {x}, {}, a)[0], floats({0, 0, 0, 0.5f, 1}));
  // HardSwish: x * clamp(x / 6 + 0.5, 0, 1).
  expect_equal(run_op("HardSwish", {floats({-4, -3, 0, 1, 3, 4})}, {})[0], floats({0, 0, 0, 2.0f / 3, 3, 4}));
}

TEST(Ops, MinMaxEqualWhereBroadcast) {
  expect_equal(run_op("Min", {floats({1, 5, 3}), floats({4})}, {})[0], floats({1, 4, 3}));
  expect_equal(run_op("Max", {floats({1, 5, 3}), floats({4}), floats({0, 0, 9})}, {})[0], floats({4, 5, 9}));
  const auto eq = run_op("Equal", {ints({1, 2, 3})}, {{1, ints({2})}})[0];
  EXPECT_TRUE(at::equal(eq, ints({0, 1, 0}).to(at::kBool)));
  expect_equal(run_op("Where", {ints({1, 0}).to(at::kBool), floats({1, 2}), floats({9})}, {})[0], floats({1, 9}));
}

TEST(Ops, ShapeHonoursStartAndEnd) {
  const auto x = at::zeros({2, 3, 4, 5});
  const auto s = run_op("Shape", {x}, {})[0];
  EXPECT_EQ(s.scalar_type(), at::kLong);
  expect_equal(s, ints({2, 3, 4, 5}));
  Attributes a;
  a.set("start", int64_t{1});
  a.set("end", int64_t{-1});
  expect_equal(run_op("Shape", {x}, {}, a)[0], ints({3, 4}));
}

TEST(Ops, ConstantForms) {
  Attributes t;
  t.set("value", floats({1, 2}));
  expect_equal(run_op("Constant", {}, {}, t)[0], floats({1, 2}));
  Attributes i;
  i.set("value_int", int64_t{7});
  const auto c = run_op("Constant", {}, {}, i)[0];
  EXPECT_EQ(c.dim(), 0);
  EXPECT_EQ(c.item<int64_t>(), 7);
  Attributes fs;
  fs.set("value_floats", std::vector<double>{0.5, 1.5});
  expect_equal(run_op("Constant", {}, {}, fs)[0], floats({0.5, 1.5}));
  ASSERT_THROWS_WITH(run_op("Constant", {}, {}), Error,
                     "node 'n' (Constant): needs one of value, value_float, value_floats, value_int, value_ints\n"
                     "  while building node 'n' (Constant)");
}

TEST(Ops, ConstantOfShapeAndCast) {
  Attributes v;
  v.set("value", ints({3}));
  const auto c = run_op("ConstantOfShape", {ints({2, 2})}, {}, v)[0];
  EXPECT_TRUE(at::equal(c, at::full({2, 2}, 3, at::kLong)));
  expect_equal(run_op("ConstantOfShape", {ints({3})}, {})[0], floats({0, 0, 0}));
  Attributes to;
  to.set("to", int64_t{7});  // INT64: truncation toward zero
  const auto y = run_op("Cast", {floats({-1.7f, 2.9f})}, {}, to)[0];
  EXPECT_EQ(y.scalar_type(), at::kLong);
  expect_equal(y, ints({-1, 2}));
  Attributes bad;
  bad.set("to", int64_t{10});  // FLOAT16
  ASSERT_THROWS_WITH(run_op("Cast", {floats({1})}, {}, bad), Error,
                     "ONNX element type FLOAT16 is not supported (FLOAT, DOUBLE, INT8, UINT8, INT16, INT32, INT64, "
                     "BOOL)\n  while reading attribute 'to' of node 'n' (Cast)\n  while building node 'n' (Cast)");
}

TEST(Ops, GatherTakesNegativeAndMultiDimensionalIndices) {
  const auto data = at::arange(12).to(at::kFloat).reshape({3, 4});
  expect_equal(run_op("Gather", {data}, {{1, at::scalar_tensor(-1, at::kLong)}})[0], floats({8, 9, 10, 11}));
  Attributes a;
  a.set("axis", int64_t{1});
  const auto y = run_op("Gather", {data}, {{1, ints({0, 3, 1, 1}).reshape({2, 2})}}, a)[0];
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{3, 2, 2}));
  expect_equal(y[1], floats({4, 7, 5, 5}).reshape({2, 2}));
}

TEST(Ops, ExpandBroadcastsBothWaysWithAConstantOrComputedShape) {
  const auto x = floats({1, 2, 3}).reshape({3, 1});
  expect_equal(run_op("Expand", {x}, {{1, ints({2, 1, 2})}})[0],
               floats({1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}).reshape({2, 3, 2}));
  EXPECT_EQ(run_op("Expand", {x, ints({1, 4})}, {})[0].sizes(), (std::vector<int64_t>{3, 4}));
}

TEST(Ops, ReshapeTakesAComputedShape) {
  const auto x = at::arange(6).to(at::kFloat);
  EXPECT_EQ(run_op("Reshape", {x, ints({2, -1})}, {})[0].sizes(), (std::vector<int64_t>{2, 3}));
}

TEST(Ops, RangeCountsLikeOnnx) {
  expect_equal(run_op("Range", {ints({1}).reshape({}), ints({10}).reshape({}), ints({3}).reshape({})}, {})[0],
               ints({1, 4, 7}));
  EXPECT_EQ(run_op("Range", {floats({10}).reshape({}), floats({6}).reshape({}), floats({3}).reshape({})}, {})[0].numel(),
            0);
  expect_equal(run_op("Range", {floats({1}).reshape({}), floats({2}).reshape({}), floats({0.25}).reshape({})}, {})[0],
               floats({1, 1.25, 1.5, 1.75}));
}

TEST(Ops, ReductionsOverAxesWithKeepdims) {
  const auto x = at::arange(6).to(at::kFloat).reshape({2, 3});
  Attributes a;
  a.set("axes", std::vector<int64_t>{1});
  expect_equal(run_op("ReduceMean", {x}, {}, a)[0], floats({1, 4}).reshape({2, 1}));
  expect_equal(run_op("ReduceMax", {x}, {}, a)[0], floats({2, 5}).reshape({2, 1}));
  a.set("keepdims", int64_t{0});
  expect_equal(run_op("ReduceMin", {x}, {}, a)[0], floats({0, 3}));
  expect_equal(run_op("ReduceMean", {x}, {})[0], floats({2.5}).reshape({1, 1}));
  expect_equal(run_op("ReduceSum", {x}, {{1, ints({0})}})[0], floats({3, 5, 7}).reshape({1, 3}));
  const auto s = run_op("ReduceSum", {at::ones({2, 2}, at::kInt)}, {})[0];
  EXPECT_EQ(s.scalar_type(), at::kInt);
  EXPECT_EQ(s.item<int>(), 4);
  Attributes noop;
  noop.set("noop_with_empty_axes", int64_t{1});
  expect_equal(run_op("ReduceSum", {x}, {}, noop)[0], x);
}

}  // namespace qat::graph

namespace qat::graph {

// Operands computed at run time (a dynamic batch's shape arithmetic) instead of
// constants; before, each of these was "input N (...) must be a constant".
TEST(Ops, ShapeOperandsMayBeComputedAtRunTime) {
  const auto x = at::arange(12).to(at::kFloat).reshape({2, 6});
  Attributes axis1;
  axis1.set("axis", int64_t{1});
  const auto parts = run_op("Split", {x, ints({2, 4})}, {}, axis1, 2);
  expect_equal(parts[0], x.slice(1, 0, 2));
  expect_equal(parts[1], x.slice(1, 2, 6));
  expect_equal(run_op("Slice", {x, ints({1}), ints({5}), ints({1}), ints({2})}, {})[0], x.slice(1, 1, 5, 2));
  expect_equal(run_op("Tile", {x, ints({2, 1})}, {})[0], x.repeat({2, 1}));
  const auto img = at::arange(4).to(at::kFloat).reshape({1, 1, 2, 2});
  const auto up = at::upsample_nearest2d(img, {4, 4});
  expect_equal(run_op("Resize", {img, at::tensor({1.f, 1.f, 2.f, 2.f})}, {{1, at::empty({0})}})[0], up);
  expect_equal(run_op("Resize", {img, ints({1, 1, 4, 4})}, {{1, at::empty({0})}, {2, at::empty({0})}})[0], up);
}

}  // namespace qat::graph
