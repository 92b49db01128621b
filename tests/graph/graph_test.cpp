#include "qat/graph/graph.h"

#include "support/test_support.h"

namespace qat::graph {

namespace {
Node node(std::string name, std::string op, std::vector<std::string> in, std::vector<std::string> out) {
  return Node{std::move(name), std::move(op), std::move(in), std::move(out), {}};
}
}  // namespace

TEST(Graph, ValidateAcceptsATopologicalGraph) {
  Graph g;
  g.add_input({"x", {1, 3}});
  g.set_initializer("w", at::ones({3}), true);
  g.add_node(node("mul", "Mul", {"x", "w"}, {"y"}));
  g.add_output({"y", {1, 3}});
  EXPECT_NO_THROW(g.validate());
  EXPECT_EQ(g.producer("y")->name, "mul");
  EXPECT_EQ(g.consumers("x").size(), 1u);
  EXPECT_EQ(g.producer("x"), nullptr);
}

TEST(Graph, ValidateNamesTheNodeReadingAnUndefinedValue) {
  Graph g;
  g.add_input({"x", {1}});
  g.add_node(node("a", "Relu", {"later"}, {"y"}));
  g.add_node(node("b", "Relu", {"x"}, {"later"}));
  ASSERT_THROWS_WITH(g.validate(), Error,
                     "node 'a' (Relu) reads 'later', which no earlier node, input or initializer defines");
}

TEST(Graph, ValidateRefusesDuplicateNamesAndMissingOutputs) {
  Graph g;
  g.add_input({"x", {1}});
  g.add_node(node("a", "Relu", {"x"}, {"y"}));
  g.add_node(node("a", "Relu", {"y"}, {"z"}));
  ASSERT_THROWS_WITH(g.validate(), Error, "node name 'a' is used twice");
  Graph h;
  h.add_input({"x", {1}});
  h.add_output({"nowhere", {1}});
  ASSERT_THROWS_WITH(h.validate(), Error, "graph output 'nowhere' is never computed");
}

TEST(Graph, ParametersAreTrainableInitializersOnly) {
  Graph g;
  g.set_initializer("b.w", at::ones({2}), true);
  g.set_initializer("a.w", at::ones({2}), true);
  g.set_initializer("shape", at::tensor({1, 2}), false);
  const auto params = g.parameters();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].first, "a.w");
  EXPECT_TRUE(params[0].second.requires_grad());
  EXPECT_FALSE(g.initializer("shape").requires_grad());
}

TEST(Graph, BuffersAreBatchNormStatistics) {
  Graph g;
  g.add_input({"x", {1, 2, 1, 1}});
  g.set_initializer("bn.scale", at::ones({2}), true);
  g.set_initializer("bn.bias", at::zeros({2}), true);
  g.set_initializer("bn.mean", at::zeros({2}));
  g.set_initializer("bn.var", at::ones({2}));
  g.add_node(node("bn", "BatchNormalization", {"x", "bn.scale", "bn.bias", "bn.mean", "bn.var"}, {"y"}));
  const auto buffers = g.buffers();
  ASSERT_EQ(buffers.size(), 2u);
  EXPECT_EQ(buffers[0].first, "bn.mean");
  EXPECT_EQ(buffers[1].first, "bn.var");
}

// Floating-point initializers follow the model to its device (here the meta device, which
// this CPU build has), parameters staying parameters; integer ones stay on the host.
TEST(Graph, ToDeviceMovesFloatInitializersAndKeepsIntegersOnTheHost) {
  Graph g;
  g.set_initializer("w", at::ones({2, 2}), /*trainable=*/true);
  g.set_initializer("mean", at::zeros({2}));
  g.set_initializer("shape", at::tensor(std::vector<int64_t>{0, -1}));
  g.to_device(at::kMeta);
  EXPECT_EQ(g.initializer("w").device(), at::Device(at::kMeta));
  EXPECT_TRUE(g.initializer("w").requires_grad());
  EXPECT_TRUE(g.initializer("w").is_leaf());
  ASSERT_EQ(g.parameters().size(), 1u);
  EXPECT_EQ(g.parameters()[0].second.device(), at::Device(at::kMeta));
  EXPECT_EQ(g.initializer("mean").device(), at::Device(at::kMeta));
  EXPECT_FALSE(g.initializer("mean").requires_grad());
  EXPECT_EQ(g.initializer("shape").device(), at::Device(at::kCPU));
  EXPECT_EQ(g.initializer("shape")[1].item<int64_t>(), -1);
}

}  // namespace qat::graph
