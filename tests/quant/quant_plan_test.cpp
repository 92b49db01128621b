#include "qat/quant/quant_plan.h"

#include "qat/graph/fold_batch_norm.h"
#include "qat/model/detector.h"
#include "qat/quant/quantizer_set.h"
#include "support/test_support.h"

#include <torch/csrc/autograd/function.h>

#include <set>

namespace qat::quant {
namespace {

model::Detector folded_detector() {
  const auto arch = model::load_arch((testing::source_dir() / "configs/arch/yolo-nano.yaml").string());
  auto det = model::build_detector(arch, {"a", "b"}, 64, 0);
  graph::fold_batch_norm(det.graph);
  return det;
}

const QuantPoint* find(const QuantPlan& plan, const std::string& value) {
  for (const auto& p : plan.points) {
    if (p.value == value) return &p;
  }
  return nullptr;
}

}  // namespace

TEST(QuantPlan, AWeightSharedThroughIdentityHasOnePerChannelPoint) {
  QuantSection s;
  s.include = {"/head/**"};
  s.exclude = {};
  const QuantPlan plan = make_quant_plan(testing::shared_head(), s);
  EXPECT_EQ(plan.quantized_nodes, (std::vector<std::string>{"/head/conv/Conv", "/head/conv_1/Conv"}));
  ASSERT_EQ(plan.points.size(), 3u);  // p3, the weight, p4
  const QuantPoint* w = find(plan, "head.conv.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(w->is_weight);
  EXPECT_EQ(w->spec.axis, 0);
  EXPECT_EQ(w->edges,
            (std::vector<std::pair<std::string, size_t>>{{"/head/conv/Conv", 1}, {"/head/conv_1/Conv", 1}}));
  EXPECT_EQ(find(plan, "onnx::Conv_7"), nullptr);  // not an activation
  EXPECT_FALSE(find(plan, "p4")->is_weight);
}

TEST(QuantPlan, WeightAxisFollowsTheOpTraits) {
  graph::Graph g;
  g.add_input({"x", {1, 3}});
  g.set_initializer("a", at::ones({4, 3}), true);
  g.set_initializer("b", at::ones({4, 5}), true);
  g.set_initializer("c", at::ones({10}), true);
  g.set_initializer("c.shape", at::tensor(std::vector<int64_t>{5, 2}, at::kLong));
  graph::Attributes trans_b;
  trans_b.set("transB", int64_t{1});
  g.add_node({"gemm_t", "Gemm", {"x", "a"}, {"h"}, trans_b});  // [1,3] x [4,3]^T
  g.add_node({"gemm", "Gemm", {"h", "b"}, {"k"}, {}});         // [1,4] x [4,5]
  g.add_node({"c.view", "Reshape", {"c", "c.shape"}, {"c2"}, {}});
  g.add_node({"mm", "MatMul", {"k", "c2"}, {"y"}, {}});       // [1,5] x [5,2]
  g.add_output({"y", {1, 2}});
  QuantSection s;
  s.include = {"**"};
  s.exclude = {};
  const QuantPlan plan = make_quant_plan(g, s);
  EXPECT_EQ(find(plan, "a")->spec.axis, 0);
  EXPECT_EQ(find(plan, "b")->spec.axis, 1);
  const QuantPoint* c = find(plan, "c");  // seen through the Reshape: axis 1 of the [5, 2] it reads
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->is_weight);
  EXPECT_EQ(c->spec.axis, 1);
  EXPECT_EQ(c->edges, (std::vector<std::pair<std::string, size_t>>{{"mm", 1}}));
  EXPECT_EQ(find(plan, "c2"), nullptr);
}

TEST(QuantPlan, AWeightReadInTwoLayoutsIsRefused) {
  graph::Graph g;
  g.add_input({"x", {1, 2}});
  g.add_input({"z", {1, 3}});
  g.set_initializer("w", at::ones({2, 3}), true);
  g.set_initializer("shape", at::tensor(std::vector<int64_t>{3, 2}, at::kLong));
  g.add_node({"mm1", "MatMul", {"x", "w"}, {"y1"}, {}});
  g.add_node({"view", "Reshape", {"w", "shape"}, {"wt"}, {}});
  g.add_node({"mm2", "MatMul", {"z", "wt"}, {"y2"}, {}});
  g.add_output({"y1", {1, 3}});
  g.add_output({"y2", {1, 2}});
  QuantSection s;
  s.include = {"**"};
  s.exclude = {};
  ASSERT_THROWS_WITH(make_quant_plan(g, s), Error,
                     "weight 'w' is read by 'mm1' and 'mm2' in different layouts (shape or channel axis): one "
                     "quantizer cannot serve both");
}

TEST(QuantPlan, RegionSelectsConvsAndTheirInputs) {
  const auto det = folded_detector();
  QuantSection s;
  s.include = {"backbone.[0-3]"};
  s.exclude = {};
  const QuantPlan plan = make_quant_plan(det.graph, s);
  // backbone 0, 1, 3 are single convs; block 2 (c2f, 1 bottleneck) has cv1, m.0.cv1, m.0.cv2, cv2.
  EXPECT_EQ(plan.quantized_nodes.size(), 7u);
  EXPECT_EQ(plan.quantized_nodes.front(), "backbone.0.conv");
  const QuantPoint* w = find(plan, "backbone.0.conv.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(w->is_weight);
  EXPECT_EQ(w->spec.axis, 0);
  EXPECT_TRUE(w->spec.narrow_range);
  const QuantPoint* x = find(plan, "images");
  ASSERT_NE(x, nullptr);
  EXPECT_FALSE(x->is_weight);
  EXPECT_EQ(x->spec.axis, -1);
  EXPECT_EQ(x->observer, "percentile");
  EXPECT_EQ(x->edges, (std::vector<std::pair<std::string, size_t>>{{"backbone.0.conv", 0}}));
  EXPECT_EQ(find(plan, "backbone.4.cv1.conv.weight"), nullptr);
}

TEST(QuantPlan, ValueReadByTwoQuantizedConvsSharesOneQuantizer) {
  const auto det = folded_detector();
  QuantSection s;
  s.include = {"head.0"};
  s.exclude = {"head.*.cls_pred", "head.*.box_pred"};
  const QuantPlan plan = make_quant_plan(det.graph, s);
  // head.0.stem's output feeds both head.0.cls.0 and head.0.box.0.
  const QuantPoint* stem = find(plan, "head.0.stem.act");
  ASSERT_NE(stem, nullptr);
  EXPECT_EQ(stem->edges.size(), 2u);
  EXPECT_EQ(plan.quantized_nodes.size(), 3u);
}

TEST(QuantPlan, ResidualAddsOnRequest) {
  const auto det = folded_detector();
  QuantSection s;
  s.include = {"backbone.2"};
  s.exclude = {};
  EXPECT_EQ(find(make_quant_plan(det.graph, s), "backbone.2.m.0.cv2.act"), nullptr);
  s.quantize_residual_add = true;
  const QuantPlan plan = make_quant_plan(det.graph, s);
  const QuantPoint* p = find(plan, "backbone.2.m.0.cv2.act");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->edges, (std::vector<std::pair<std::string, size_t>>{{"backbone.2.m.0.add", 1}}));
}

TEST(QuantPlan, EmptyRegionIsAnError) {
  const auto det = folded_detector();
  QuantSection s;
  s.include = {"backbone.[20-30]"};
  s.exclude = {};
  ASSERT_THROWS_WITH(make_quant_plan(det.graph, s), Error,
                     "the quantization region (include: backbone.[20-30]; exclude: ) selects no Conv, Gemm or MatMul node");
}

TEST(QuantizerSet, ObservingChangesNothingAndFakeQuantStaysWithinAFewSteps) {
  auto det = folded_detector();
  QuantSection s;
  const QuantPlan plan = make_quant_plan(det.graph, s);
  QuantizerSet fq(plan);
  graph::Executor exec(det.graph);
  at::NoGradGuard no_grad;
  at::manual_seed(0);
  const auto images = at::rand({4, 3, 64, 64});
  // An early feature map: at initialization deep activations are near zero
  // (eval-mode BatchNorm with unit statistics), so compare where signal is.
  const std::string tap = "backbone.1.act";
  const auto fp32 = exec.run({{"images", images}}, {tap}).at(tap);
  fq.attach(exec);
  fq.set_mode(QuantizerMode::calibrate);
  EXPECT_TRUE(at::equal(exec.run({{"images", images}}, {tap}).at(tap), fp32));
  fq.set_mode(QuantizerMode::train);
  const auto int8 = exec.run({{"images", images}}, {tap}).at(tap);
  EXPECT_FALSE(at::equal(int8, fp32));
  EXPECT_LT((int8 - fp32).abs().max().item<double>(), 0.05 * fp32.abs().max().item<double>());
  const auto qp = fq.qparams();
  EXPECT_EQ(qp.size(), plan.points.size());
  EXPECT_EQ(qp.at("backbone.0.conv.weight").scale.size(0), 16);
  EXPECT_EQ(qp.at("images").scale.numel(), 1);
  // The input image lies in [0, 1]: its symmetric int8 scale is at most 1/127.5.
  EXPECT_LE(qp.at("images").scale.item<float>(), 1.0f / 127.5f + 1e-7f);
}

TEST(QuantizerSet, ModesSayWhichRangesFollowTheTensors) {
  auto det = folded_detector();
  QuantSection s;
  s.activations.observer = "minmax";  // ranges are the running min/max: exact to predict
  QuantizerSet fq(make_quant_plan(det.graph, s));
  graph::Executor exec(det.graph);
  at::NoGradGuard no_grad;
  at::manual_seed(0);
  const auto images = at::rand({2, 3, 64, 64});
  const std::string w = "backbone.0.conv.weight";
  const auto fp32 = exec.run({{"images", images}}, {"logits"}).at("logits");
  fq.attach(exec);
  fq.set_mode(QuantizerMode::calibrate);
  exec.run({{"images", images}});
  const auto calibrated = fq.qparams();
  auto scale = [&fq](const std::string& name) { return fq.qparams().at(name).scale.clone(); };
  // train: activation ranges stay, weight ranges follow the weights.
  fq.set_mode(QuantizerMode::train);
  exec.run({{"images", images * 4}});
  EXPECT_TRUE(at::equal(scale("images"), calibrated.at("images").scale));
  det.graph.initializer(w).mul_(2);
  exec.run({{"images", images}});
  EXPECT_TRUE(at::allclose(scale(w), calibrated.at(w).scale * 2));
  // deploy: nothing follows.
  fq.set_mode(QuantizerMode::deploy);
  det.graph.initializer(w).mul_(2);
  exec.run({{"images", images * 4}});
  EXPECT_TRUE(at::allclose(scale(w), calibrated.at(w).scale * 2));
  EXPECT_TRUE(at::equal(scale("images"), calibrated.at("images").scale));
  // train_observing: activation ranges follow too.
  fq.set_mode(QuantizerMode::train_observing);
  exec.run({{"images", images * 4}});
  EXPECT_TRUE(at::allclose(scale("images"), calibrated.at("images").scale * 4, 1e-6));
  // bypass: FP32 values, nothing observed.
  det.graph.initializer(w).div_(4);
  const auto before = fq.qparams();
  fq.set_mode(QuantizerMode::bypass);
  EXPECT_TRUE(at::equal(exec.run({{"images", images}}, {"logits"}).at("logits"), fp32));
  exec.run({{"images", images * 8}});
  EXPECT_TRUE(at::equal(scale("images"), before.at("images").scale));
}

// How many nodes of `out`'s autograd graph have a name containing `kind`.
size_t count_grad_nodes(const at::Tensor& out, const std::string& kind) {
  std::vector<torch::autograd::Node*> stack = {out.grad_fn().get()};
  std::set<torch::autograd::Node*> seen;
  size_t n = 0;
  while (!stack.empty()) {
    auto* node = stack.back();
    stack.pop_back();
    if (node == nullptr || !seen.insert(node).second) continue;
    n += node->name().find(kind) != std::string::npos;
    for (const auto& edge : node->next_edges()) stack.push_back(edge.function.get());
  }
  return n;
}

TEST(QuantizerSet, AttachGivesWhatQuantizingEachEdgeOnItsOwnGives) {
  // attach() reuses a point's image for its later edges in a run, and gives the
  // executor each activation quantizer's SiLU form, so that a SiLU whose every reader
  // quantizes it runs in one kernel and is never written. Quantizing each edge on its
  // own, after at::silu, must give the same bits: outputs, input and weight gradients.
  auto det = folded_detector();
  const QuantPlan plan = make_quant_plan(det.graph, QuantSection{});
  QuantizerSet fq(plan);
  graph::Executor attached(det.graph), per_edge(det.graph);
  fq.attach(attached);
  size_t shared_points = 0;
  for (size_t i = 0; i < plan.points.size(); ++i) {
    shared_points += plan.points[i].edges.size() > 1;
    for (const auto& [node, input] : plan.points[i].edges) {
      per_edge.set_edge_transform(node, input, [&fq, i](const at::Tensor& x) { return fq.quantizer(i)(x); });
    }
  }
  ASSERT_GT(shared_points, 0u);
  std::string weight;  // the first quantized weight: its gradient flows back through every SiLU
  for (const auto& p : plan.points) {
    if (p.is_weight && weight.empty()) weight = p.value;
  }
  ASSERT_FALSE(weight.empty());
  at::manual_seed(0);
  const auto images = at::rand({2, 3, 64, 64});
  {
    at::NoGradGuard no_grad;
    fq.set_mode(QuantizerMode::calibrate);
    attached.run({{"images", images}});
  }
  fq.set_mode(QuantizerMode::train);
  std::vector<at::Tensor> outputs, input_grads, weight_grads;
  std::vector<size_t> fused_silus;
  for (auto* exec : {&attached, &per_edge}) {
    const auto x = images.clone().requires_grad_(true);
    const auto out = exec->run({{"images", x}}, {"logits"});
    fused_silus.push_back(count_grad_nodes(out.at("logits"), "SiluFakeQuant"));
    (out.at("logits").sigmoid().mean() + out.at("boxes").mean()).backward();
    outputs.push_back(out.at("logits").detach());
    input_grads.push_back(x.grad());
    auto& w = det.graph.initializer(weight);
    weight_grads.push_back(w.grad().clone());
    w.mutable_grad().zero_();
  }
  // 21 of the 47 SiLUs the logits depend on; each of the other 26 has a reader that does
  // not quantize it (a C2f's Split, a Concat, a residual Add, Resize, MaxPool, the FP32
  // prediction convs).
  EXPECT_EQ(fused_silus[0], 21u);
  EXPECT_EQ(fused_silus[1], 0u);
  EXPECT_TRUE(testing::same_bits(outputs[0], outputs[1]));
  EXPECT_TRUE(testing::same_bits(input_grads[0], input_grads[1]));
  EXPECT_TRUE(testing::same_bits(weight_grads[0], weight_grads[1]));
}

// x → a = Conv(x, 1), b = Conv(x, 3); c = Concat(a, b) → Conv; a and b also feed Convs
// of their own, so a, b and c are quantized points.
TEST(QuantPlan, ShareConcatScalesGivesTheConcatInputsOneQuantizer) {
  graph::Graph g;
  g.add_input({"x", {1, 1, 2, 2}});
  for (const char* w : {"wa", "we", "wf"}) g.set_initializer(w, at::ones({1, 1, 1, 1}));
  g.set_initializer("wb", at::full({1, 1, 1, 1}, 3.0f));
  g.set_initializer("wd", at::ones({1, 2, 1, 1}));
  g.add_node({"a", "Conv", {"x", "wa"}, {"a"}, {}});
  g.add_node({"b", "Conv", {"x", "wb"}, {"b"}, {}});
  graph::Attributes axis;
  axis.set("axis", int64_t{1});
  g.add_node({"c", "Concat", {"a", "b"}, {"c"}, axis});
  g.add_node({"d", "Conv", {"c", "wd"}, {"d"}, {}});
  g.add_node({"e", "Conv", {"a", "we"}, {"e"}, {}});
  g.add_node({"f", "Conv", {"b", "wf"}, {"f"}, {}});
  for (const char* out : {"d", "e", "f"}) g.add_output({out, {1, 1, 2, 2}});
  QuantSection s;
  s.include = {"**"};
  s.exclude = {};
  s.activations.observer = "minmax";
  EXPECT_EQ(find(make_quant_plan(g, s), "b")->shares_with, "");  // off by default
  s.share_concat_scales = true;
  const QuantPlan plan = make_quant_plan(g, s);
  EXPECT_EQ(find(plan, "a")->shares_with, "");
  EXPECT_EQ(find(plan, "b")->shares_with, "a");
  EXPECT_EQ(find(plan, "c")->shares_with, "");
  EXPECT_EQ(find(plan, "x")->shares_with, "");

  QuantizerSet fq(plan);
  graph::Executor exec(g);
  fq.attach(exec);
  fq.set_mode(QuantizerMode::calibrate);
  at::NoGradGuard no_grad;
  exec.run({{"x", at::tensor({-1.0f, 0.5f, 0.25f, 1.0f}).reshape({1, 1, 2, 2})}});
  // a in [-1, 1] and b in [-3, 3] observed by one minmax quantizer: scale 3 / 127.5 for both.
  const auto qp = fq.qparams();
  EXPECT_EQ(qp.at("a").scale.item<float>(), 3.0f / 127.5f);
  EXPECT_EQ(qp.at("b").scale.item<float>(), 3.0f / 127.5f);
  EXPECT_EQ(qp.at("x").scale.item<float>(), 1.0f / 127.5f);
}

}  // namespace qat::quant
