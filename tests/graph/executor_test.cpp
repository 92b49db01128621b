#include "qat/graph/executor.h"

#include <torch/csrc/autograd/function.h>

#include "support/test_support.h"

namespace qat::graph {

namespace {

Node node(std::string name, std::string op, std::vector<std::string> in, std::vector<std::string> out) {
  return Node{std::move(name), std::move(op), std::move(in), std::move(out), {}};
}

// x -> Conv(3x3, pad 1) -> BatchNormalization -> SiLU (Sigmoid * x) -> y
Graph conv_bn_silu() {
  Graph g;
  g.add_input({"x", {-1, 2, 5, 5}});
  g.set_initializer("c.w", at::linspace(-1, 1, 4 * 2 * 9).reshape({4, 2, 3, 3}), true);
  g.set_initializer("c.b", at::tensor({0.1f, -0.2f, 0.3f, 0.0f}), true);
  g.set_initializer("bn.scale", at::tensor({1.0f, 2.0f, 0.5f, 1.5f}), true);
  g.set_initializer("bn.bias", at::tensor({0.0f, 0.1f, -0.1f, 0.2f}), true);
  g.set_initializer("bn.mean", at::tensor({0.5f, -0.5f, 0.0f, 1.0f}));
  g.set_initializer("bn.var", at::tensor({1.0f, 4.0f, 0.25f, 2.0f}));
  Node conv = node("c", "Conv", {"x", "c.w", "c.b"}, {"c"});
  conv.attrs.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  conv.attrs.set("kernel_shape", std::vector<int64_t>{3, 3});
  g.add_node(conv);
  g.add_node(node("bn", "BatchNormalization", {"c", "bn.scale", "bn.bias", "bn.mean", "bn.var"}, {"bn"}));
  g.add_node(node("act_sigmoid", "Sigmoid", {"bn"}, {"act_sigmoid"}));
  g.add_node(node("act", "Mul", {"bn", "act_sigmoid"}, {"y"}));
  g.add_output({"y", {-1, 4, 5, 5}});
  return g;
}

at::Tensor reference(const Graph& g, const at::Tensor& x) {
  auto c = at::conv2d(x, g.initializer("c.w"), g.initializer("c.b"), {1, 1}, {1, 1});
  auto bn = at::batch_norm(c, g.initializer("bn.scale"), g.initializer("bn.bias"), g.initializer("bn.mean"),
                           g.initializer("bn.var"), false, 0.1, 1e-5, false);
  return bn * at::sigmoid(bn);
}

}  // namespace

TEST(Executor, MatchesDirectAtenCalls) {
  const Graph g = conv_bn_silu();
  Executor exec(g);
  at::manual_seed(0);
  const auto x = at::randn({2, 2, 5, 5});
  const auto out = exec.run({{"x", x}});
  EXPECT_TRUE(at::allclose(out.at("y"), reference(g, x), 1e-6, 1e-6));
}

TEST(Executor, TapsExposeIntermediateValues) {
  const Graph g = conv_bn_silu();
  Executor exec(g);
  const auto x = at::ones({1, 2, 5, 5});
  const auto out = exec.run({{"x", x}}, {"bn"});
  ASSERT_EQ(out.count("bn"), 1u);
  EXPECT_TRUE(at::allclose(out.at("y"), out.at("bn") * at::sigmoid(out.at("bn"))));
  ASSERT_THROWS_WITH(exec.run({{"x", x}}, {"nope"}), Error, "no value named 'nope' in the graph");
}

TEST(Executor, MissingInputIsNamed) {
  const Graph g = conv_bn_silu();
  Executor exec(g);
  ASSERT_THROWS_WITH(exec.run({}), Error, "graph input 'x' was not given");
}

TEST(Executor, UnknownOpSuggestsAKnownOne) {
  Graph g;
  g.add_input({"x", {1}});
  g.add_node(node("r", "Rellu", {"x"}, {"y"}));
  g.add_output({"y", {1}});
  ASSERT_THROWS_WITH(Executor{g}, Error, "unknown op 'Rellu'; did you mean 'Relu'?\n  while building node 'r'");
}

TEST(Executor, KernelFailureNamesTheNode) {
  Graph g;
  g.add_input({"a", {2}});
  g.add_input({"b", {3}});
  g.add_node(node("sum", "Add", {"a", "b"}, {"y"}));
  g.add_output({"y", {2}});
  Executor exec(g);
  try {
    exec.run({{"a", at::ones({2})}, {"b", at::ones({3})}});
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("node 'sum' (Add) failed: ", 0), 0u) << e.what();
  }
}

// Failures of the model, not of qat (bad input, exit code 2), each naming the node: checks of ATen's that throw a
// plain runtime_error, an axis past the rank (read out of bounds before), a group that
// does not divide the channels (ATen divided by zero: SIGFPE), and more outputs than the op gives.
TEST(Executor, BadModelsFailAsShapeErrorsNamingTheNode) {
  auto failure = [](const Graph& g, const at::Tensor& x) {
    try {
      Executor(g).run({{"x", x}});
    } catch (const Error& e) {
      return std::string(e.exit_code() == kExitBadInput ? "" : "not bad input: ") + e.what();
    } catch (const std::exception& e) {
      return std::string("not a qat::Error: ") + e.what();
    }
    return std::string("no error");
  };
  Graph reshape;
  reshape.add_input({"x", {6}});
  reshape.set_initializer("shape", at::tensor({7}, at::kLong));
  reshape.add_node(node("r", "Reshape", {"x", "shape"}, {"y"}));
  reshape.add_output({"y", {7}});
  EXPECT_EQ(failure(reshape, at::zeros({6})), "node 'r' (Reshape) failed: shape '[7]' is invalid for input of size 6");

  Graph gather;
  gather.add_input({"x", {3}});
  gather.set_initializer("i", at::tensor({0}, at::kLong));
  Node g = node("g", "Gather", {"x", "i"}, {"y"});
  g.attrs.set("axis", int64_t{-2});
  gather.add_node(g);
  gather.add_output({"y", {1}});
  EXPECT_EQ(failure(gather, at::zeros({3})), "node 'g' (Gather) failed: axis -2 is out of range for a rank-1 input");

  Graph conv;
  conv.add_input({"x", {1, 4, 3, 3}});
  conv.set_initializer("w", at::ones({4, 2, 1, 1}));
  Node c = node("c", "Conv", {"x", "w"}, {"y"});
  c.attrs.set("group", int64_t{1} << 40);
  conv.add_node(c);
  conv.add_output({"y", {1, 4, 3, 3}});
  EXPECT_EQ(failure(conv, at::zeros({1, 4, 3, 3})),
            "node 'c' (Conv): input [1, 4, 3, 3] and weight [4, 2, 1, 1] do not match group 1099511627776");

  Graph identity;
  identity.add_input({"x", {2}});
  identity.add_node(node("id", "Identity", {"x"}, {"a", "b"}));
  identity.add_output({"b", {2}});
  EXPECT_EQ(failure(identity, at::zeros({2})), "node 'id' (Identity) names 2 outputs; it gives 1");
}

TEST(Executor, GradientsReachTrainableInitializers) {
  Graph g = conv_bn_silu();
  Executor exec(g);
  const auto y = exec.run({{"x", at::ones({1, 2, 5, 5})}}).at("y");
  y.sum().backward();
  const auto& w = g.initializer("c.w");
  ASSERT_TRUE(w.grad().defined());
  EXPECT_GT(w.grad().abs().sum().item<double>(), 0.0);
  EXPECT_FALSE(g.initializer("bn.mean").requires_grad());
}

TEST(Executor, TrainingModeUpdatesBatchNormStatisticsWithOnnxMomentum) {
  Graph g = conv_bn_silu();
  Executor exec(g);
  exec.set_training(true);
  const auto before = g.initializer("bn.mean").clone();
  at::manual_seed(1);
  const auto x = at::randn({4, 2, 5, 5});
  const auto c = at::conv2d(x, g.initializer("c.w"), g.initializer("c.b"), {1, 1}, {1, 1}).detach();
  exec.run({{"x", x}});
  // ONNX momentum 0.9: running = 0.9 * running + 0.1 * batch mean.
  const auto expected = before * 0.9 + c.mean({0, 2, 3}) * 0.1;
  EXPECT_TRUE(at::allclose(g.initializer("bn.mean"), expected, 1e-5, 1e-6));
}

TEST(Executor, EdgeTransformRewritesOneInput) {
  const Graph g = conv_bn_silu();
  Executor exec(g);
  const auto x = at::ones({1, 2, 5, 5});
  exec.set_edge_transform("c", 1, [](const at::Tensor& w) { return at::zeros_like(w); });
  const auto out = exec.run({{"x", x}}, {"c"}).at("c");
  // With zero weights the conv output is its bias everywhere.
  EXPECT_TRUE(at::allclose(out[0].mean({1, 2}), g.initializer("c.b")));
  ASSERT_THROWS_WITH(exec.set_edge_transform("nope", 0, nullptr), Error,
                     "no node 'nope' to attach a transform to");
}

TEST(Executor, SigmoidTimesInputRunsAsOneSiluUnlessTheSigmoidIsNeeded) {
  const Graph g = conv_bn_silu();
  Executor exec(g);
  at::manual_seed(0);
  const auto x = at::randn({2, 2, 5, 5});
  const auto grad_fn = [](const at::Tensor& t) { return t.grad_fn()->name(); };
  // Fused: one silu (its backward shows in the graph), same values.
  auto out = exec.run({{"x", x}});
  EXPECT_EQ(grad_fn(out.at("y")), "SiluBackward0");
  EXPECT_TRUE(at::allclose(out.at("y"), reference(g, x), 1e-6, 1e-6));
  // Tapping the sigmoid keeps it: Sigmoid and Mul run as written.
  out = exec.run({{"x", x}}, {"act_sigmoid"});
  EXPECT_EQ(grad_fn(out.at("y")), "MulBackward0");
  EXPECT_TRUE(at::allclose(out.at("act_sigmoid"), at::sigmoid(out.at("y") / out.at("act_sigmoid"))));
  // A transform on either edge (fake quantization) must see its own input: no fusion.
  exec.set_edge_transform("act", 0, [](const at::Tensor& t) { return t * 2; });
  out = exec.run({{"x", x}});
  EXPECT_EQ(grad_fn(out.at("y")), "MulBackward0");
  EXPECT_TRUE(at::allclose(out.at("y"), reference(g, x) * 2, 1e-6, 1e-6));
}

TEST(Executor, SigmoidWithAnotherConsumerIsNotFused) {
  Graph g = conv_bn_silu();
  g.add_output({"act_sigmoid", {-1, 4, 5, 5}});
  Executor exec(g);
  const auto out = exec.run({{"x", at::ones({1, 2, 5, 5})}});
  EXPECT_EQ(out.at("y").grad_fn()->name(), "MulBackward0");
  EXPECT_TRUE(out.at("act_sigmoid").defined());
}

}  // namespace qat::graph

namespace qat::graph {

namespace {

// conv_bn_silu with y read by two nodes (r = Relu(y), i = Identity(y)) instead of being an output.
Graph silu_read_twice() {
  Graph g = conv_bn_silu();
  Graph out;
  for (const auto& in : g.inputs()) out.add_input(in);
  for (const auto& [name, t] : g.initializers()) out.set_initializer(name, t, t.requires_grad());
  for (const auto& n : g.nodes()) out.add_node(n);
  out.add_node(node("r", "Relu", {"y"}, {"r"}));
  out.add_node(node("i", "Identity", {"y"}, {"i"}));
  out.add_output({"r", {-1, 4, 5, 5}});
  out.add_output({"i", {-1, 4, 5, 5}});
  return out;
}

// A rewrite of y (doubling it) on an edge, counting which of its two forms ran.
struct Doubling {
  int plain = 0, of_silu = 0;
  void attach(Executor& exec, const std::string& node, bool with_silu_form) {
    exec.set_edge_transform(
        node, 0, [this](const at::Tensor& y) { ++plain; return y * 2; },
        with_silu_form ? EdgeTransform([this](const at::Tensor& x) { ++of_silu; return at::silu(x) * 2; }) : nullptr);
  }
};

}  // namespace

TEST(Executor, ASiluReadOnlyThroughSiluFormsIsLeftToThem) {
  const Graph g = silu_read_twice();
  Executor exec(g);
  Doubling d;
  d.attach(exec, "r", true);
  d.attach(exec, "i", true);
  at::manual_seed(0);
  const auto x = at::randn({2, 2, 5, 5});
  const auto want = reference(g, x) * 2;
  auto out = exec.run({{"x", x}});
  EXPECT_EQ(d.of_silu, 2);
  EXPECT_EQ(d.plain, 0);
  EXPECT_TRUE(at::allclose(out.at("i"), want, 1e-6, 1e-6));
  EXPECT_TRUE(at::allclose(out.at("r"), at::relu(want), 1e-6, 1e-6));
  // A tap on y needs it written: the SiLU runs and its readers get the plain rewrite.
  out = exec.run({{"x", x}}, {"y"});
  EXPECT_EQ(d.of_silu, 2);
  EXPECT_EQ(d.plain, 2);
  EXPECT_TRUE(at::allclose(out.at("i"), out.at("y") * 2));
  // So does a reader without a SiLU form.
  d.attach(exec, "r", false);
  exec.run({{"x", x}});
  EXPECT_EQ(d.of_silu, 2);
  EXPECT_EQ(d.plain, 4);
}

TEST(Executor, ASiluThatIsAGraphOutputIsWritten) {
  Graph g = silu_read_twice();
  g.add_output({"y", {-1, 4, 5, 5}});
  Executor exec(g);
  Doubling d;
  d.attach(exec, "r", true);
  d.attach(exec, "i", true);
  const auto out = exec.run({{"x", at::ones({1, 2, 5, 5})}});
  EXPECT_EQ(d.of_silu, 0);
  EXPECT_EQ(d.plain, 2);
  EXPECT_TRUE(at::allclose(out.at("i"), out.at("y") * 2));
}

}  // namespace qat::graph
