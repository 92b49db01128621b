// Head layouts: on tiny hand-built graphs, each layout's adapter gives the
// boxes and scores a hand computation gives; the standalone adapter (ONNX Runtime
// outputs) agrees with the in-graph one; anchors may be Constant nodes and come
// as [1,2,A]; dynamic exports get their counts from one probe run.
#include "qat/model/head_adapter.h"

#include <cmath>

#include "qat/export/onnx_exporter.h"
#include "qat/model/onnx_detector.h"
#include "support/test_support.h"

namespace qat::model {
namespace {

at::Tensor ints(std::vector<int64_t> v) { return at::tensor(v); }

graph::Attributes axis_attr(int64_t axis) {
  graph::Attributes a;
  a.set("axis", axis);
  return a;
}

// Ultralytics' tail: output0 = Concat(box [B,4,A], Sigmoid(cls [B,C,A])) on axis 1,
// from the graph input x [1,4+C,A] (rows 0-3 box, rows 4.. class logits).
graph::Graph ultralytics_tail(int64_t classes, int64_t anchors) {
  graph::Graph g;
  g.add_input({"x", {1, 4 + classes, anchors}});
  g.set_initializer("s0", ints({0}));
  g.set_initializer("s4", ints({4}));
  g.set_initializer("end", ints({4 + classes}));
  g.set_initializer("ax1", ints({1}));
  g.add_node({"box", "Slice", {"x", "s0", "s4", "ax1"}, {"box"}, {}});
  g.add_node({"cls", "Slice", {"x", "s4", "end", "ax1"}, {"cls"}, {}});
  g.add_node({"sig", "Sigmoid", {"cls"}, {"sig"}, {}});
  g.add_node({"out", "Concat", {"box", "sig"}, {"output0"}, axis_attr(1)});
  g.add_output({"output0", {1, 4 + classes, anchors}});
  return g;
}

// x [1,6,3]: anchors in columns. Box rows cx, cy, w, h; class logits rows 4, 5.
at::Tensor ultralytics_input() {
  return at::tensor({10.f, 20.f, 30.f,     // cx
                     5.f, 6.f, 7.f,        // cy
                     4.f, 2.f, 1.f,        // w
                     8.f, 6.f, 0.5f,       // h
                     0.f, 1.f, -2.f,       // class 0 logits
                     3.f, 0.f, 0.25f})     // class 1 logits
      .view({1, 6, 3});
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

void expect_tensor(const at::Tensor& got, const std::vector<float>& want, const std::vector<int64_t>& shape,
                   double tolerance = 0) {
  ASSERT_EQ(got.sizes().vec(), shape);
  const auto flat = got.contiguous().view({-1});
  ASSERT_EQ(flat.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    if (tolerance == 0) {
      EXPECT_EQ(flat[i].item<float>(), want[i]) << "element " << i;
    } else {
      EXPECT_NEAR(flat[i].item<float>(), want[i], tolerance) << "element " << i;
    }
  }
}

OnnxHeadSection layout(const std::string& name) {
  OnnxHeadSection h;
  h.layout = name;
  return h;
}

TEST(HeadAdapter, UltralyticsGivesXyxyBoxesSigmoidScoresAndFindsTheLogits) {
  graph::Graph g = ultralytics_tail(2, 3);
  const HeadValues v = append_head_adapter(g, layout("ultralytics"), "m.onnx");
  EXPECT_EQ(v.boxes, "qat.boxes");
  EXPECT_EQ(v.scores, "qat.scores");
  EXPECT_EQ(v.logits, "qat.logits");
  // The model's output stays first; the adapted ones follow with their shapes.
  ASSERT_EQ(g.outputs().size(), 3u);
  EXPECT_EQ(g.outputs()[0].name, "output0");
  EXPECT_EQ(g.outputs()[1].shape, (std::vector<int64_t>{1, 3, 4}));
  EXPECT_EQ(g.outputs()[2].shape, (std::vector<int64_t>{1, 3, 2}));
  g.validate();
  const auto out = graph::Executor(g).run({{"x", ultralytics_input()}}, {v.logits});
  // x1 = cx - w/2, y1 = cy - h/2, x2 = cx + w/2, y2 = cy + h/2, per anchor.
  expect_tensor(out.at(v.boxes), {8, 1, 12, 9,  19, 3, 21, 9,  29.5f, 6.75f, 30.5f, 7.25f}, {1, 3, 4});
  expect_tensor(out.at(v.scores),
                {0.5f, sigmoid(3), sigmoid(1), 0.5f, sigmoid(-2), sigmoid(0.25f)}, {1, 3, 2}, 1e-7);
  expect_tensor(out.at(v.logits), {0, 3, 1, 0, -2, 0.25f}, {1, 3, 2});
}

TEST(HeadAdapter, WithoutASigmoidTheLogitsAreTheScoresInverseSigmoid) {
  graph::Graph g;
  g.add_input({"x", {1, 6, 3}});
  g.add_node({"id", "Identity", {"x"}, {"output0"}, {}});
  g.add_output({"output0", {1, 6, 3}});
  const HeadValues v = append_head_adapter(g, layout("ultralytics"), "m.onnx");
  EXPECT_EQ(v.logits, "qat.logits");
  // Scores 0.5, 0.75, 0.25 and the clamped 1 and 0: logits 0, log 3, -log 3, +-log((1 - 1e-6) / 1e-6).
  auto x = at::zeros({1, 6, 3});
  x[0][4][0] = 0.5f;
  x[0][4][1] = 0.75f;
  x[0][4][2] = 0.25f;
  x[0][5][0] = 1.0f;
  x[0][5][1] = 0.0f;
  x[0][5][2] = 0.5f;
  const auto out = graph::Executor(g).run({{"x", x}}, {v.logits});
  const float hi = 1.0f - 1e-6f, lo = 1e-6f;  // the clamp, in float as the kernels compute
  const float top = std::log(hi) - std::log(1.0f - hi), bottom = std::log(lo) - std::log(1.0f - lo);
  expect_tensor(out.at(v.logits), {0, top, std::log(3.f), bottom, -std::log(3.f), 0}, {1, 3, 2}, 1e-5);
  // The clamp bounds the logits: every value is finite.
  EXPECT_TRUE(at::isfinite(out.at(v.logits)).all().item<bool>());
}

TEST(HeadAdapter, GeneralChannelFirstCxcywhWithProductScoresIsFcosScoring) {
  // boxes [1,4,2] channel-first cx,cy,w,h; cls [1,2,2] and ctr [1,1,2] logits.
  graph::Graph g;
  g.add_input({"b", {1, 4, 2}});
  g.add_input({"c", {1, 2, 2}});
  g.add_input({"t", {1, 1, 2}});
  for (const char* name : {"b", "c", "t"}) {
    g.add_node({std::string("id_") + name, "Identity", {name}, {std::string(name) + "_out"}, {}});
    g.add_output({std::string(name) + "_out", {1, name == std::string("b") ? 4 : name == std::string("c") ? 2 : 1, 2}});
  }
  OnnxHeadSection h = layout("general");
  h.boxes = "b_out";
  h.box_format = "cxcywh";
  h.channels = "first";
  h.score = "product";
  h.score_inputs = {"c_out", "t_out"};
  const HeadValues v = append_head_adapter(g, h, "m.onnx");
  EXPECT_EQ(v.logits, "qat.logits");
  EXPECT_EQ(g.outputs().back().shape, (std::vector<int64_t>{1, 2, 2}));  // classes from c, not t's 1
  const auto b = at::tensor({4.f, 10.f, 4.f, 10.f, 2.f, 4.f, 6.f, 1.f}).view({1, 4, 2});
  const auto c = at::tensor({0.f, 1.f, 2.f, -1.f}).view({1, 2, 2});  // [class][anchor]
  const auto t = at::tensor({0.f, 0.5f}).view({1, 1, 2});
  const auto out = graph::Executor(g).run({{"b", b}, {"c", c}, {"t", t}}, {v.logits});
  expect_tensor(out.at(v.boxes), {3, 1, 5, 7,  8, 9.5f, 12, 10.5f}, {1, 2, 4});
  EXPECT_LE((at::sigmoid(out.at(v.logits)) - out.at(v.scores)).abs().max().item<float>(), 1e-6f);
  // score[a][k] = sqrt(sigmoid(c[k][a]) * sigmoid(t[a]))
  expect_tensor(out.at(v.scores),
                {0.5f, std::sqrt(sigmoid(2) * 0.5f), std::sqrt(sigmoid(1) * sigmoid(0.5f)),
                 std::sqrt(sigmoid(-1) * sigmoid(0.5f))},
                {1, 2, 2}, 1e-7);

  // The same adapter on the model's outputs alone (ONNX Runtime's, for one).
  const auto raw = adapt_head_outputs(h, {{"b_out", b}, {"c_out", c}, {"t_out", t}}, "m.onnx");
  EXPECT_TRUE(at::equal(raw.at("boxes"), out.at(v.boxes)));
  EXPECT_TRUE(at::equal(raw.at("scores"), out.at(v.scores)));
}

TEST(HeadAdapter, GeneralXywhWithSigmoidScoresMakesTheOutputTheLogits) {
  graph::Graph g;
  g.add_input({"b", {1, 2, 4}});
  g.add_input({"s", {1, 2, 3}});
  g.add_node({"id_b", "Identity", {"b"}, {"boxes"}, {}});
  g.add_node({"id_s", "Identity", {"s"}, {"cls"}, {}});
  g.add_output({"boxes", {1, 2, 4}});
  g.add_output({"cls", {1, 2, 3}});
  OnnxHeadSection h = layout("general");
  h.box_format = "xywh";
  h.scores = "cls";
  h.score = "sigmoid";
  const HeadValues v = append_head_adapter(g, h, "m.onnx");
  EXPECT_EQ(v.logits, "cls");
  const auto b = at::tensor({1.f, 2.f, 3.f, 4.f, 0.5f, 0.25f, 1.f, 2.f}).view({1, 2, 4});
  const auto s = at::tensor({0.f, 0.f, 0.f, 0.f, 0.f, 0.f}).view({1, 2, 3});
  const auto out = graph::Executor(g).run({{"b", b}, {"s", s}});
  expect_tensor(out.at(v.boxes), {1, 2, 4, 6,  0.5f, 0.25f, 1.5f, 2.25f}, {1, 2, 4});
  expect_tensor(out.at(v.scores), {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, {1, 2, 3});
}

TEST(HeadAdapter, GeneralSoftmaxIsOverTheClassesAfterTransposing) {
  graph::Graph g;
  g.add_input({"b", {1, 4, 2}});
  g.add_input({"s", {1, 2, 2}});
  g.add_node({"id_b", "Identity", {"b"}, {"boxes"}, {}});
  g.add_node({"id_s", "Identity", {"s"}, {"cls"}, {}});
  g.add_output({"boxes", {1, 4, 2}});
  g.add_output({"cls", {1, 2, 2}});
  OnnxHeadSection h = layout("general");
  h.scores = "cls";
  h.channels = "first";
  h.box_format = "xyxy";
  h.score = "softmax";
  const HeadValues v = append_head_adapter(g, h, "m.onnx");
  EXPECT_EQ(v.logits, "qat.logits");
  // s [class][anchor]: anchor 0 has logits (0, 0), anchor 1 (log 3, 0).
  const auto s = at::tensor({0.f, std::log(3.f), 0.f, 0.f}).view({1, 2, 2});
  const auto b = at::tensor({1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f, 8.f}).view({1, 4, 2});  // [coordinate][anchor]
  const auto out = graph::Executor(g).run({{"b", b}, {"s", s}});
  expect_tensor(out.at(v.boxes), {1, 3, 5, 7,  2, 4, 6, 8}, {1, 2, 4});
  expect_tensor(out.at(v.scores), {0.5f, 0.5f, 0.75f, 0.25f}, {1, 2, 2}, 1e-7);
}

TEST(HeadAdapter, BoxesScoresAddsNothingAndFindsTheSigmoidInput) {
  graph::Graph g;
  g.add_input({"b", {1, 2, 4}});
  g.add_input({"l", {1, 2, 3}});
  g.add_node({"id_b", "Identity", {"b"}, {"boxes"}, {}});
  g.add_node({"sig", "Sigmoid", {"l"}, {"scores"}, {}});
  g.add_output({"boxes", {1, 2, 4}});
  g.add_output({"scores", {1, 2, 3}});
  const HeadValues v = append_head_adapter(g, layout("boxes_scores"), "m.onnx");
  EXPECT_EQ(v.boxes, "boxes");
  EXPECT_EQ(v.scores, "scores");
  EXPECT_EQ(v.logits, "l");
  EXPECT_EQ(g.nodes().size(), 2u);
  EXPECT_EQ(g.outputs().size(), 2u);
}

TEST(HeadAdapter, HeadValuesMustBeGraphOutputsOfRankThree) {
  graph::Graph g = ultralytics_tail(2, 3);
  OnnxHeadSection h = layout("ultralytics");
  h.output = "output1";
  ASSERT_THROWS_WITH(append_head_adapter(g, h, "m.onnx"), IoError,
                     "m.onnx: model.head.output 'output1' is not a graph output; did you mean 'output0'?");
  h = layout("general");
  h.boxes = "output0";
  h.scores = "sig";
  ASSERT_THROWS_WITH(append_head_adapter(g, h, "m.onnx"), IoError,
                     "m.onnx: model.head.scores 'sig' is not a graph output");
  graph::Graph four = ultralytics_tail(0, 3);
  ASSERT_THROWS_WITH(append_head_adapter(four, layout("ultralytics"), "m.onnx"), IoError,
                     "m.onnx: output 'output0' has shape [1,4,3]; expected [B,4+C,A] with at least one class");
}

// A tiny detector file: images [B,3,4,4] -> output0 = raw [1,6,3] + 0 * images[0,0,0,0],
// anchors [1,2,3] and strides [1,3] as Constant nodes (as Ultralytics' static export has them).
std::string tiny_ultralytics_file(const testing::TempDir& dir, bool dynamic) {
  graph::Graph g;
  g.add_input({"images", {dynamic ? -1 : 1, 3, 4, 4}});
  g.set_initializer("zero4", ints({0, 0, 0, 0}));
  g.set_initializer("one4", ints({1, 1, 1, 1}));
  g.set_initializer("shape3", ints({-1, 1, 1}));
  g.set_initializer("zero", at::tensor({0.f}));
  g.set_initializer("raw", ultralytics_input(), /*trainable=*/true);
  g.add_node({"corner", "Slice", {"images", "zero4", "one4"}, {"corner"}, {}});
  g.add_node({"flat", "Reshape", {"corner", "shape3"}, {"flat"}, {}});
  g.add_node({"nothing", "Mul", {"flat", "zero"}, {"nothing"}, {}});
  g.add_node({"out", "Add", {"nothing", "raw"}, {"output0"}, {}});
  graph::Attributes points, strides;
  points.set("value", at::tensor({0.5f, 1.5f, 0.5f, 0.5f, 0.5f, 1.5f}).view({1, 2, 3}));
  strides.set("value", at::tensor({8.f, 8.f, 16.f}).view({1, 3}));
  g.add_node({"anchors", "Constant", {}, {"anchors"}, points});
  g.add_node({"strides", "Constant", {}, {"strides"}, strides});
  // Read by nodes, as the decode reads them in a real export.
  g.add_node({"use_a", "Add", {"nothing", "anchors"}, {"anchor_copy"}, {}});
  g.add_node({"use_s", "Add", {"nothing", "strides"}, {"stride_copy"}, {}});
  const int64_t b = dynamic ? -1 : 1;
  g.add_output({"output0", {b, dynamic ? -1 : 6, dynamic ? -1 : 3}});
  g.add_output({"anchor_copy", {b, 2, 3}});
  g.add_output({"stride_copy", {b, 1, 3}});
  const std::string path = dir.file(dynamic ? "dynamic.onnx" : "static.onnx");
  exporter::export_onnx(g, path, {13, "tiny", {}});
  return path;
}

ModelSection ultralytics_section(const std::string& path) {
  ModelSection s;
  s.arch.clear();
  s.onnx = path;
  s.head.layout = "ultralytics";
  s.head.anchor_points = "anchors";
  s.head.anchor_strides = "strides";
  return s;
}

TEST(HeadAdapter, ImportedUltralyticsDetectorReadsConstantAnchorsOfShape1x2xA) {
  testing::TempDir dir;
  const Detector det = load_onnx_detector(ultralytics_section(tiny_ultralytics_file(dir, false)));
  EXPECT_EQ(det.info.boxes, "qat.boxes");
  EXPECT_EQ(det.info.scores, "qat.scores");
  EXPECT_EQ(det.info.logits, "qat.logits");  // raw + 0: no Sigmoid makes these scores
  EXPECT_EQ(det.info.num_classes, 2);
  EXPECT_EQ(det.info.image_size, 4);
  EXPECT_EQ(det.info.strides, (std::vector<int64_t>{8, 16}));
  ASSERT_TRUE(det.has_anchors());
  // Ultralytics' points are grid cells: the contract's are pixels (times the stride).
  expect_tensor(det.anchor_points(), {4, 4, 12, 4, 8, 24}, {3, 2});
  expect_tensor(det.anchor_strides(), {8, 8, 16}, {3});
  at::NoGradGuard no_grad;
  const auto out = graph::Executor(det.graph).run({{"images", at::zeros({1, 3, 4, 4})}});
  expect_tensor(out.at("qat.boxes"), {8, 1, 12, 9,  19, 3, 21, 9,  29.5f, 6.75f, 30.5f, 7.25f}, {1, 3, 4});
}

TEST(HeadAdapter, DynamicExportGetsItsAnchorAndClassCountsFromOneProbeRun) {
  testing::TempDir dir;
  const Detector det = load_onnx_detector(ultralytics_section(tiny_ultralytics_file(dir, true)));
  EXPECT_EQ(det.info.num_classes, 2);
  for (const auto& out : det.graph.outputs()) {
    if (out.name == "qat.boxes") EXPECT_EQ(out.shape, (std::vector<int64_t>{-1, 3, 4}));
    if (out.name == "qat.scores") EXPECT_EQ(out.shape, (std::vector<int64_t>{-1, 3, 2}));
  }
}

}  // namespace
}  // namespace qat::model
