// Export profiles in their registry, and the ort profile's placement rules: one test
// per rule, a tiny graph in and the exact Q/DQ positions of its export out.
#include "qat/export/export_profile.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>

#include "qat/export/qdq_exporter.h"
#include "qat/quant/quant_plan.h"
#include "support/test_support.h"

namespace qat::exporter {
namespace {

struct Planned {
  graph::Graph graph;
  std::unique_ptr<graph::Executor> exec;
  std::unique_ptr<quant::QuantizerSet> fq;
  onnx::ModelProto model;
};

// `g` planned with the ort profile's placement over every node, min/max-calibrated on one
// random input `x` [1, 2, 4, 4], and exported in the ort profile.
std::unique_ptr<Planned> ort_export(graph::Graph g) {
  auto p = std::make_unique<Planned>();
  p->graph = std::move(g);
  QuantSection s;
  s.include = {"**"};
  s.exclude = {};
  s.activations.observer = "minmax";
  p->fq = std::make_unique<quant::QuantizerSet>(quant::make_quant_plan(p->graph, s, ort_placement()));
  p->exec = std::make_unique<graph::Executor>(p->graph);
  p->fq->attach(*p->exec);
  at::manual_seed(3);
  at::NoGradGuard no_grad;
  p->fq->set_mode(quant::QuantizerMode::calibrate);
  p->exec->run({{"x", at::rand({1, 2, 4, 4}) - 0.5}});
  p->fq->set_mode(quant::QuantizerMode::deploy);
  QdqExportOptions o;
  o.profile = "ort";
  p->model = to_qdq_onnx(p->graph, *p->fq, o);
  return p;
}

// x → Conv c (into `y`): the quantized op every rule graph starts from.
graph::Graph with_conv(const std::string& y = "y") {
  graph::Graph g;
  g.add_input({"x", {1, 2, 4, 4}});
  g.set_initializer("w_" + y, at::ones({2, 2, 1, 1}) * 0.5);
  g.add_node({"c_" + y, "Conv", {"x", "w_" + y}, {y}, {}});
  return g;
}

int index_of(const onnx::ModelProto& m, const std::string& name) {
  for (int i = 0; i < m.graph().node_size(); ++i) {
    if (m.graph().node(i).name() == name) return i;
  }
  return -1;
}

// The nodes reading `value` (by name, sorted).
std::vector<std::string> readers(const onnx::ModelProto& m, const std::string& value) {
  std::vector<std::string> out;
  for (const auto& n : m.graph().node()) {
    if (std::find(n.input().begin(), n.input().end(), value) != n.input().end()) out.push_back(n.name());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> pairs(const onnx::ModelProto& m) {
  std::vector<std::string> out;
  for (const auto& n : m.graph().node()) {
    if (n.op_type() == "QuantizeLinear") out.push_back(n.input(0));
  }
  return out;
}

template <typename T>
T scalar(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& t : m.graph().initializer()) {
    if (t.name() != name) continue;
    T v{};
    EXPECT_EQ(t.raw_data().size(), sizeof(T)) << name;
    std::memcpy(&v, t.raw_data().data(), sizeof(T));
    return v;
  }
  ADD_FAILURE() << "no initializer " << name;
  return T{};
}

TEST(ExportProfileRegistry, ListsTheBuiltInsAndRefusesOthers) {
  EXPECT_EQ(export_profile_registry().names(), (std::vector<std::string>{"ort", "tensorrt"}));
  EXPECT_EQ(make_export_profile("ort")->name(), "ort");
  EXPECT_EQ(make_export_profile("tensorrt")->name(), "tensorrt");
  EXPECT_TRUE(make_export_profile("tensorrt")->placement().rules.empty());
  EXPECT_FALSE(make_export_profile("tensorrt")->placement().every_reader);
  ASSERT_THROWS_WITH(make_export_profile("tflite"), Error, "unknown export profile 'tflite' (known: ort, tensorrt)");
}

// conv_output: DQ X, DQ W → Conv → Q; every reader (a Relu here) behind the DQ.
TEST(OrtPlacement, ConvOutputGetsAPairReadByEveryReader) {
  graph::Graph g = with_conv();
  g.add_node({"r", "Relu", {"y"}, {"out"}, {}});
  g.add_output({"out", {1, 2, 4, 4}});
  const auto p = ort_export(std::move(g));
  EXPECT_EQ(pairs(p->model), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(index_of(p->model, "y/QuantizeLinear"), index_of(p->model, "c_y") + 1);
  EXPECT_EQ(readers(p->model, "y/dequantized"), std::vector<std::string>{"r"});
  EXPECT_EQ(readers(p->model, "y"), std::vector<std::string>{"y/QuantizeLinear"});
}

// sigmoid_output: DQ → Sigmoid → Q on the fixed grid [0, 1]: scale 1/255, uint8 zero point 0.
TEST(OrtPlacement, SigmoidOutputGetsTheFixedUnitGrid) {
  graph::Graph g = with_conv();
  g.add_node({"s", "Sigmoid", {"y"}, {"sy"}, {}});
  g.add_node({"r", "Relu", {"sy"}, {"out"}, {}});
  g.add_output({"out", {1, 2, 4, 4}});
  const auto p = ort_export(std::move(g));
  EXPECT_EQ(pairs(p->model), (std::vector<std::string>{"x", "y", "sy"}));
  EXPECT_EQ(readers(p->model, "y/dequantized"), std::vector<std::string>{"s"});
  EXPECT_EQ(readers(p->model, "sy/dequantized"), std::vector<std::string>{"r"});
  EXPECT_EQ(scalar<float>(p->model, "sy/scale"), static_cast<float>(1.0 / 255.0));
  EXPECT_EQ(scalar<uint8_t>(p->model, "sy/zero_point"), 0);
  const auto& point = p->fq->plan().points.back();
  ASSERT_EQ(point.value, "sy");
  ASSERT_TRUE(point.fixed.has_value());
  // Never observed: a calibration run on other values keeps the fixed grid.
  EXPECT_FLOAT_EQ(p->fq->qparams().at("sy").scale.item<float>(), static_cast<float>(1.0 / 255.0));
  EXPECT_EQ(p->fq->qparams().at("sy").zero_point.item<int>(), -128);
}

// binary_output: DQ A, DQ B → Mul → Q (SiLU's Mul); a Mul by a constant is not matched.
TEST(OrtPlacement, MulOfTwoQuantizedValuesGetsAPairAndAMulByAConstantDoesNot) {
  graph::Graph g = with_conv();
  g.add_node({"s", "Sigmoid", {"y"}, {"sy"}, {}});
  g.add_node({"m", "Mul", {"y", "sy"}, {"silu"}, {}});
  g.set_initializer("k", at::full({1}, 2.0f));
  g.add_node({"mk", "Mul", {"silu", "k"}, {"scaled"}, {}});
  g.add_output({"scaled", {1, 2, 4, 4}});
  const auto p = ort_export(std::move(g));
  EXPECT_EQ(pairs(p->model), (std::vector<std::string>{"x", "y", "sy", "silu"}));
  EXPECT_EQ(readers(p->model, "y/dequantized"), (std::vector<std::string>{"m", "s"}));
  EXPECT_EQ(readers(p->model, "sy/dequantized"), std::vector<std::string>{"m"});
  EXPECT_EQ(readers(p->model, "silu/dequantized"), std::vector<std::string>{"mk"});
  EXPECT_EQ(index_of(p->model, "silu/QuantizeLinear"), index_of(p->model, "m") + 1);
}

// concat_output: DQ inputs → Concat → Q; a Concat with a float input is not matched.
TEST(OrtPlacement, ConcatOfQuantizedValuesGetsAPairAndOneWithAFloatInputDoesNot) {
  graph::Graph g = with_conv("y1");
  g.set_initializer("w_y2", at::ones({2, 2, 1, 1}) * 0.25);
  g.add_node({"c_y2", "Conv", {"x", "w_y2"}, {"y2"}, {}});
  graph::Node cat{"cat", "Concat", {"y1", "y2"}, {"joined"}, {}};
  cat.attrs.set("axis", int64_t{1});
  g.add_node(cat);
  g.add_node({"r", "Relu", {"y1"}, {"ry1"}, {}});
  graph::Node mixed{"mixed", "Concat", {"joined", "ry1"}, {"out"}, {}};
  mixed.attrs.set("axis", int64_t{1});
  g.add_node(mixed);
  g.add_output({"out", {1, 6, 4, 4}});
  const auto p = ort_export(std::move(g));
  EXPECT_EQ(pairs(p->model), (std::vector<std::string>{"x", "y1", "y2", "joined"}));
  EXPECT_EQ(readers(p->model, "joined/dequantized"), std::vector<std::string>{"mixed"});
  EXPECT_EQ(readers(p->model, "y1/dequantized"), (std::vector<std::string>{"cat", "r"}));
  EXPECT_EQ(index_of(p->model, "joined/QuantizeLinear"), index_of(p->model, "cat") + 1);
}

// same_grid_outputs: DQ → MaxPool → Q on the input's own grid (ONNX Runtime then pools the
// integers); the plan point shares the input's quantizer.
TEST(OrtPlacement, MaxPoolOutputSharesItsInputsGrid) {
  graph::Graph g = with_conv();
  graph::Node pool{"pool", "MaxPool", {"y"}, {"py"}, {}};
  pool.attrs.set("kernel_shape", std::vector<int64_t>{3, 3});
  pool.attrs.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.add_node(pool);
  g.add_node({"r", "Relu", {"py"}, {"out"}, {}});
  g.add_output({"out", {1, 2, 4, 4}});
  const auto p = ort_export(std::move(g));
  EXPECT_EQ(pairs(p->model), (std::vector<std::string>{"x", "y", "py"}));
  EXPECT_EQ(readers(p->model, "y/dequantized"), std::vector<std::string>{"pool"});
  EXPECT_EQ(readers(p->model, "py/dequantized"), std::vector<std::string>{"r"});
  EXPECT_EQ(p->fq->plan().points.back().shares_with, "y");
  EXPECT_EQ(scalar<float>(p->model, "py/scale"), scalar<float>(p->model, "y/scale"));
  EXPECT_EQ(scalar<uint8_t>(p->model, "py/zero_point"), scalar<uint8_t>(p->model, "y/zero_point"));
}

// same_grid_outputs on a Split whose output a Conv reads (the Conv's input point exists
// already): both outputs join the input's grid, so ONNX Runtime can split the integers.
TEST(OrtPlacement, SplitOutputsShareTheInputsGridAlsoWhereAConvReadsThem) {
  graph::Graph g = with_conv();
  g.set_initializer("sizes", at::tensor({1, 1}, at::kLong));
  graph::Node split{"split", "Split", {"y", "sizes"}, {"y0", "y1"}, {}};
  split.attrs.set("axis", int64_t{1});
  g.add_node(split);
  g.set_initializer("w_z", at::ones({1, 1, 1, 1}));
  g.add_node({"c_z", "Conv", {"y1", "w_z"}, {"z"}, {}});
  graph::Node cat{"cat", "Concat", {"y0", "z"}, {"out"}, {}};
  cat.attrs.set("axis", int64_t{1});
  g.add_node(cat);
  g.add_output({"out", {1, 2, 4, 4}});
  const auto p = ort_export(std::move(g));
  EXPECT_EQ(pairs(p->model), (std::vector<std::string>{"x", "y", "y1", "y0", "z"}));  // y1 was a Conv input first
  EXPECT_EQ(readers(p->model, "y/dequantized"), std::vector<std::string>{"split"});
  EXPECT_EQ(readers(p->model, "y0/dequantized"), std::vector<std::string>{"cat"});
  EXPECT_EQ(readers(p->model, "y1/dequantized"), std::vector<std::string>{"c_z"});
  for (const char* v : {"y0", "y1"}) {
    EXPECT_EQ(scalar<float>(p->model, std::string(v) + "/scale"), scalar<float>(p->model, "y/scale")) << v;
    EXPECT_EQ(scalar<uint8_t>(p->model, std::string(v) + "/zero_point"), scalar<uint8_t>(p->model, "y/zero_point"));
  }
}

// A value only a graph output reads gets no pair: no reader would see it.
TEST(OrtPlacement, AConvOutputReadOnlyAsAGraphOutputGetsNoPair) {
  graph::Graph g = with_conv();
  g.add_output({"y", {1, 2, 4, 4}});
  const auto p = ort_export(std::move(g));
  EXPECT_EQ(pairs(p->model), std::vector<std::string>{"x"});
}

}  // namespace
}  // namespace qat::exporter
