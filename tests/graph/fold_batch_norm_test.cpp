#include "qat/graph/fold_batch_norm.h"

#include "qat/graph/executor.h"
#include "qat/model/detector.h"
#include "support/test_support.h"

namespace qat::graph {

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
