#include "qat/graph/fold_batch_norm.h"

#include "qat/graph/executor.h"
#include "qat/model/detector.h"
#include "support/test_support.h"

namespace qat::graph {
namespace {

// A Conv + BatchNormalization head reused on two levels as torch.onnx.export writes it:
// the second level reads the weight and bias through Identity nodes. With
// `shared_bn` both levels' BatchNormalizations read one set of statistics (one module).
Graph shared_head(bool shared_bn) {
  Graph g;
  g.add_input({"p3", {1, 2, 4, 4}});
  g.add_input({"p4", {1, 2, 2, 2}});
  at::manual_seed(7);
  g.set_initializer("w", at::randn({3, 2, 1, 1}), true);
  g.set_initializer("b", at::randn({3}), true);
  for (const std::string bn : {"bn3", "bn4"}) {
    g.set_initializer(bn + ".scale", at::rand({3}) + 0.5, true);
    g.set_initializer(bn + ".bias", at::randn({3}), true);
    g.set_initializer(bn + ".mean", at::randn({3}));
    g.set_initializer(bn + ".var", at::rand({3}) + 0.5);
  }
  const std::string bn4 = shared_bn ? "bn3" : "bn4";
  g.add_node({"id_w", "Identity", {"w"}, {"w4"}, {}});
  g.add_node({"id_b", "Identity", {"b"}, {"b4"}, {}});
  g.add_node({"c3", "Conv", {"p3", "w", "b"}, {"c3"}, {}});
  g.add_node({"n3", "BatchNormalization", {"c3", "bn3.scale", "bn3.bias", "bn3.mean", "bn3.var"}, {"y3"}, {}});
  g.add_node({"c4", "Conv", {"p4", "w4", "b4"}, {"c4"}, {}});
  g.add_node({"n4", "BatchNormalization", {"c4", bn4 + ".scale", bn4 + ".bias", bn4 + ".mean", bn4 + ".var"},
              {"y4"}, {}});
  g.add_output({"y3", {1, 3, 4, 4}});
  g.add_output({"y4", {1, 3, 2, 2}});
  return g;
}

void expect_same_outputs(const Graph& before, const Graph& after) {
  at::NoGradGuard no_grad;
  const ValueMap in{{"p3", at::rand({1, 2, 4, 4})}, {"p4", at::rand({1, 2, 2, 2})}};
  const auto want = Executor(before).run(in);
  const auto got = Executor(after).run(in);
  EXPECT_TRUE(at::allclose(want.at("y3"), got.at("c3"), 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(want.at("y4"), got.at("c4"), 1e-5, 1e-5));
}

}  // namespace

TEST(FoldBatchNorm, ASharedWeightWithOneBatchNormModuleIsFoldedOnceInPlace) {
  const Graph before = shared_head(/*shared_bn=*/true);
  Graph g = shared_head(true);
  EXPECT_EQ(fold_batch_norm(g), 2);
  // Still one weight and one bias, the second level still reading them through its Identity.
  EXPECT_EQ(g.find_node("c4")->inputs, (std::vector<std::string>{"p4", "w4", "b4"}));
  EXPECT_NE(g.find_node("id_w"), nullptr);
  const at::Tensor factor = before.initializer("bn3.scale") / at::sqrt(before.initializer("bn3.var") + 1e-5);
  EXPECT_TRUE(at::allclose(g.initializer("w"), before.initializer("w") * factor.reshape({3, 1, 1, 1})));
  EXPECT_FALSE(g.has_initializer("bn3.mean"));
  EXPECT_FALSE(g.has_initializer("c3.weight"));
  expect_same_outputs(before, g);
}

TEST(FoldBatchNorm, ASharedWeightWithTwoBatchNormsGetsOneFoldedCopyPerConv) {
  const Graph before = shared_head(/*shared_bn=*/false);
  Graph g = shared_head(false);
  EXPECT_EQ(fold_batch_norm(g), 2);
  EXPECT_EQ(g.find_node("c3")->inputs, (std::vector<std::string>{"p3", "c3.weight", "c3.bias"}));
  EXPECT_EQ(g.find_node("c4")->inputs, (std::vector<std::string>{"p4", "c4.weight", "c4.bias"}));
  // The shared originals and the Identity nodes reading them are gone.
  EXPECT_FALSE(g.has_initializer("w"));
  EXPECT_FALSE(g.has_initializer("b"));
  EXPECT_EQ(g.find_node("id_w"), nullptr);
  EXPECT_EQ(g.find_node("id_b"), nullptr);
  EXPECT_EQ(g.nodes().size(), 2u);
  EXPECT_TRUE(g.is_trainable("c4.weight"));
  expect_same_outputs(before, g);
}

TEST(FoldBatchNorm, DetectorOutputsAreUnchangedAndNoBatchNormRemains) {
  const auto arch = model::load_arch((testing::source_dir() / "configs/arch/yolo-nano.yaml").string());
  auto det = model::build_detector(arch, {"a", "b"}, 64, 0);
  // Non-trivial statistics, as after training.
  {
    at::NoGradGuard no_grad;
    at::manual_seed(5);
    for (auto& [name, t] : det.graph.buffers()) {
      if (name.find(".mean") != std::string::npos) t.copy_(at::randn_like(t) * 0.1);
      if (name.find(".var") != std::string::npos) t.copy_(at::rand_like(t) + 0.5);
    }
  }
  const auto images = at::rand({2, 3, 64, 64});
  at::NoGradGuard no_grad;
  const auto before = Executor(det.graph).run({{"images", images}});
  const int bns = static_cast<int>(std::count_if(det.graph.nodes().begin(), det.graph.nodes().end(),
                                                 [](const Node& n) { return n.op_type == "BatchNormalization"; }));
  EXPECT_EQ(fold_batch_norm(det.graph), bns);
  for (const auto& n : det.graph.nodes()) EXPECT_NE(n.op_type, "BatchNormalization") << n.name;
  EXPECT_FALSE(det.graph.has_initializer("backbone.0.bn.mean"));
  EXPECT_TRUE(det.graph.is_trainable("backbone.0.conv.bias"));
  const auto after = Executor(det.graph).run({{"images", images}});
  EXPECT_TRUE(at::allclose(before.at("scores"), after.at("scores"), 1e-4, 1e-5));
  EXPECT_TRUE(at::allclose(before.at("boxes"), after.at("boxes"), 1e-3, 1e-3));
}

TEST(FoldBatchNorm, HandComputedSingleChannel) {
  Graph g;
  g.add_input({"x", {1, 1, 1, 1}});
  g.set_initializer("c.weight", at::full({1, 1, 1, 1}, 2.0f), true);
  g.set_initializer("bn.scale", at::full({1}, 3.0f), true);
  g.set_initializer("bn.bias", at::full({1}, 1.0f), true);
  g.set_initializer("bn.mean", at::full({1}, 0.5f));
  g.set_initializer("bn.var", at::full({1}, 4.0f));
  g.add_node({"c", "Conv", {"x", "c.weight"}, {"c"}, {}});
  Attributes eps;
  eps.set("epsilon", 0.0);
  g.add_node({"bn", "BatchNormalization", {"c", "bn.scale", "bn.bias", "bn.mean", "bn.var"}, {"bn"}, eps});
  g.add_output({"bn", {1, 1, 1, 1}});
  EXPECT_EQ(fold_batch_norm(g), 1);
  // factor = 3 / sqrt(4) = 1.5: weight 2 * 1.5 = 3, bias (0 - 0.5) * 1.5 + 1 = 0.25
  EXPECT_FLOAT_EQ(g.initializer("c.weight").item<float>(), 3.0f);
  EXPECT_FLOAT_EQ(g.initializer("c.bias").item<float>(), 0.25f);
  EXPECT_EQ(g.outputs()[0].name, "c");
}

}  // namespace qat::graph
