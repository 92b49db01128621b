#include "qat/export/qdq_exporter.h"

#include <onnx/onnx_pb.h>

#include <fstream>

#include "qat/export/export_profile.h"
#include "qat/export/onnx_exporter.h"
#include "qat/export/onnx_summary.h"
#include "qat/quant/fake_quantizer.h"
#include "qat/quant/quant_plan.h"

#include "qat/graph/fold_batch_norm.h"
#include "qat/model/detector.h"
#include "qat/quant/quantize.h"
#include "qat/runtime/onnx_runtime.h"
#include "support/test_support.h"

namespace qat::exporter {
namespace {

struct Calibrated {
  model::Detector det;
  std::unique_ptr<graph::Executor> exec;
  std::unique_ptr<quant::QuantizerSet> fq;
  at::Tensor images;
};

// The nano detector, BN folded, calibrated on random images with the region `include`
// (and `placement`'s points: ort_placement() for the ort profile).
std::unique_ptr<Calibrated> calibrated(const std::vector<std::string>& include, int weight_bits = 8,
                                       const quant::Placement& placement = {}) {
  auto c = std::make_unique<Calibrated>();
  const auto arch = model::load_arch((testing::source_dir() / "configs/arch/yolo-nano.yaml").string());
  c->det = model::build_detector(arch, {"a", "b"}, 64, 0);
  graph::fold_batch_norm(c->det.graph);
  QuantSection s;
  s.include = include;
  s.weights.bits = weight_bits;
  s.activations.observer = "minmax";
  c->exec = std::make_unique<graph::Executor>(c->det.graph);
  c->fq = std::make_unique<quant::QuantizerSet>(quant::make_quant_plan(c->det.graph, s, placement));
  c->fq->attach(*c->exec);
  at::manual_seed(1);
  c->images = at::rand({4, 3, 64, 64});
  at::NoGradGuard no_grad;
  c->fq->set_mode(quant::QuantizerMode::calibrate);
  c->exec->run({{"images", c->images}});
  c->fq->set_mode(quant::QuantizerMode::deploy);
  return c;
}

onnx::ModelProto load(const std::string& path) {
  onnx::ModelProto m;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(m.ParseFromIstream(&in)) << path;
  return m;
}

const onnx::TensorProto& find_initializer(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& t : m.graph().initializer()) {
    if (t.name() == name) return t;
  }
  throw std::runtime_error("no initializer " + name);
}

const onnx::NodeProto& find_node(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& n : m.graph().node()) {
    if (n.name() == name) return n;
  }
  throw std::runtime_error("no node " + name);
}

int index_of(const onnx::ModelProto& m, const std::string& name) {
  for (int i = 0; i < m.graph().node_size(); ++i) {
    if (m.graph().node(i).name() == name) return i;
  }
  return -1;
}

double max_diff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

int count_op(const onnx::ModelProto& m, const std::string& op, const std::string& prefix = "") {
  int n = 0;
  for (const auto& node : m.graph().node()) n += node.op_type() == op && node.name().rfind(prefix, 0) == 0;
  return n;
}

struct SharedHead {
  graph::Graph graph = testing::shared_head();
  std::unique_ptr<graph::Executor> exec;
  std::unique_ptr<quant::QuantizerSet> fq;
  graph::ValueMap inputs;
};

// The shared head quantized with power-of-two scales (inputs 1/64, weights 1/32 per
// channel), on which ONNX Runtime's division by the scale and ATen's multiplication by
// its reciprocal round alike.
std::unique_ptr<SharedHead> quantized_shared_head(const quant::Placement& placement = {}) {
  auto h = std::make_unique<SharedHead>();
  QuantSection s;
  s.include = {"/head/**"};
  s.exclude = {};
  s.activations.observer = "minmax";
  h->exec = std::make_unique<graph::Executor>(h->graph);
  h->fq = std::make_unique<quant::QuantizerSet>(quant::make_quant_plan(h->graph, s, placement));
  h->fq->attach(*h->exec);
  at::manual_seed(4);
  h->inputs = {{"p3", at::rand({1, 2, 6, 6})}, {"p4", at::rand({1, 2, 3, 3})}};
  at::NoGradGuard no_grad;
  h->fq->set_mode(quant::QuantizerMode::calibrate);
  h->exec->run(h->inputs);
  h->fq->set_mode(quant::QuantizerMode::bypass);
  auto qp = h->fq->qparams();
  qp.at("p3").scale.fill_(1.0 / 64);
  qp.at("p4").scale.fill_(1.0 / 64);
  qp.at("head.conv.weight").scale.fill_(1.0 / 32);
  h->fq->set_qparams(qp);
  h->fq->set_mode(quant::QuantizerMode::deploy);
  return h;
}

}  // namespace

TEST(QdqExporter, ASharedWeightHasOneDequantizeLinearFeedingEveryReader) {
  auto h = quantized_shared_head();
  testing::TempDir dir;
  const auto path = dir.file("shared.onnx");
  export_qdq_onnx(h->graph, *h->fq, path, {});  // passes onnx::checker (no duplicate initializer)
  const auto m = load(path);
  EXPECT_EQ(count_op(m, "DequantizeLinear"), 3);  // p3, p4 and the one weight
  EXPECT_EQ(count_op(m, "QuantizeLinear"), 2);
  EXPECT_EQ(count_op(m, "DequantizeLinear", "head.conv.weight/"), 1);
  const auto& dq = find_node(m, "head.conv.weight/DequantizeLinear");
  ASSERT_EQ(dq.attribute_size(), 1);
  EXPECT_EQ(dq.attribute(0).i(), 0);  // per channel
  EXPECT_EQ(find_initializer(m, "head.conv.weight/scale").dims(0), 3);
  // Level 3 reads it directly, level 4 through its Identity, which now carries it.
  EXPECT_EQ(find_node(m, "/head/conv/Conv").input(1), "head.conv.weight/dequantized");
  EXPECT_EQ(find_node(m, "/head/conv/Identity").input(0), "head.conv.weight/dequantized");
  EXPECT_EQ(find_node(m, "/head/conv_1/Conv").input(1), "onnx::Conv_7");
  EXPECT_LT(index_of(m, "head.conv.weight/DequantizeLinear"), index_of(m, "/head/conv/Identity"));
  for (const auto& init : m.graph().initializer()) EXPECT_NE(init.name(), "head.conv.weight");
  const OnnxSummary summary = inspect_onnx(path);
  EXPECT_EQ(summary.quantized_nodes, (std::vector<std::string>{"/head/conv/Conv", "/head/conv_1/Conv"}));

  at::NoGradGuard no_grad;
  const auto want = h->exec->run(h->inputs);
  const auto fp32 = graph::Executor(h->graph).run(h->inputs);
  const auto got = runtime::run_onnxruntime(path, h->inputs);
  for (const char* name : {"y3", "y4"}) {
    EXPECT_GT(max_diff(want.at(name), fp32.at(name)), 1e-2) << name;  // both levels are quantized
    EXPECT_LT(max_diff(got.at(name), want.at(name)), 1e-5) << name;
  }
}

TEST(QdqExporter, OrtProfileGivesASharedBiasOneInt32CopyPerConv) {
  auto h = quantized_shared_head(ort_placement());
  // y3 and y4 are read only as graph outputs: no Q/DQ pair would have a reader.
  EXPECT_EQ(h->fq->plan().points.size(), 3u);  // p3, p4 and the one weight
  QdqExportOptions o;
  o.profile = "ort";
  testing::TempDir dir;
  const auto path = dir.file("shared.ort.onnx");
  export_qdq_onnx(h->graph, *h->fq, path, o);
  const auto m = load(path);
  EXPECT_EQ(count_op(m, "DequantizeLinear", "head.conv.weight/"), 1);
  // The bias is read by level 3 and by level 4's Identity: level 3's int32 copy is its own.
  EXPECT_EQ(find_initializer(m, "/head/conv/Conv/bias/quantized").data_type(), onnx::TensorProto::INT32);
  EXPECT_EQ(find_node(m, "/head/conv/Conv").input(2), "/head/conv/Conv/bias/dequantized");

  at::NoGradGuard no_grad;
  const auto want = h->exec->run(h->inputs);
  const auto got = runtime::run_onnxruntime(path, h->inputs);
  for (const char* name : {"y3", "y4"}) {
    // The float Conv adds the int32 bias dequantized: at most half its step (1/64 x 1/32) off.
    EXPECT_LE(max_diff(got.at(name), want.at(name)), 0.5 / 2048 + 1e-6) << name;
  }
}

TEST(QdqExporter, WeightsAreTheConditionedInt8ValuesBehindDequantizeLinear) {
  auto c = calibrated({"backbone.[0-1]"});
  const auto m = to_qdq_onnx(c->det.graph, *c->fq, {});
  // backbone.0 and backbone.1: two weights (DQ) and two activations (Q + DQ).
  EXPECT_EQ(count_op(m, "QuantizeLinear"), 2);
  EXPECT_EQ(count_op(m, "DequantizeLinear"), 4);
  EXPECT_EQ(m.graph().node(0).name(), "images/QuantizeLinear");
  const auto qp = c->fq->qparams().at("backbone.0.conv.weight");
  const auto& spec = c->fq->plan().points[1].spec;
  ASSERT_EQ(c->fq->plan().points[1].value, "backbone.0.conv.weight");
  const at::Tensor want = quant::quantize(c->det.graph.initializer("backbone.0.conv.weight").detach(), qp, spec).to(at::kChar);
  bool found = false;
  for (const auto& init : m.graph().initializer()) {
    EXPECT_NE(init.name(), "backbone.0.conv.weight");  // the FP32 weight is gone
    if (init.name() == "backbone.0.conv.weight/quantized") {
      found = true;
      EXPECT_EQ(init.data_type(), onnx::TensorProto::INT8);
      ASSERT_EQ(init.raw_data().size(), static_cast<size_t>(want.numel()));
      EXPECT_EQ(std::memcmp(init.raw_data().data(), want.data_ptr(), want.numel()), 0);
    }
    if (init.name() == "backbone.0.conv.weight/scale") {
      EXPECT_EQ(init.dims(0), 16);
      EXPECT_EQ(std::memcmp(init.raw_data().data(), qp.scale.contiguous().data_ptr(), 16 * 4), 0);
    }
  }
  EXPECT_TRUE(found);
  for (const auto& n : m.graph().node()) {
    if (n.name() == "backbone.0.conv.weight/DequantizeLinear") {
      ASSERT_EQ(n.attribute_size(), 1);
      EXPECT_EQ(n.attribute(0).i(), 0);  // per-channel axis
    }
  }
}

TEST(QdqExporter, OnnxRuntimeMatchesLibtorchFakeQuantAndRegionIsRespected) {
  auto c = calibrated({"backbone.**", "neck.**"});
  testing::TempDir dir;
  const auto path = dir.file("int8.onnx");
  export_qdq_onnx(c->det.graph, *c->fq, path, {});
  onnx::ModelProto m;
  {
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(m.ParseFromIstream(&in));
  }
  EXPECT_GT(count_op(m, "QuantizeLinear"), 20);
  EXPECT_EQ(count_op(m, "QuantizeLinear", "head."), 0);
  EXPECT_EQ(count_op(m, "DequantizeLinear", "head."), 0);
  at::NoGradGuard no_grad;
  const auto want = c->exec->run({{"images", c->images}});
  const auto got = runtime::run_onnxruntime(path, {{"images", c->images}});
  // ONNX Runtime divides by the scale where ATen multiplies by its reciprocal, so a
  // value on a rounding boundary may land one step away; such flips stay far below
  // a step of the outputs' own resolution.
  EXPECT_LT((got.at("scores") - want.at("scores")).abs().max().item<double>(), 1e-3);
  EXPECT_LT((got.at("boxes") - want.at("boxes")).abs().max().item<double>(), 0.5);
}

TEST(QdqExporter, TensorrtRefusesNonzeroZeroPoints) {
  auto c = calibrated({"backbone.0"});
  auto qp = c->fq->qparams();
  qp.at("images").zero_point.fill_(5);
  c->fq->quantizer(0).set_qparams(quant::QParams{qp.at("images").scale, qp.at("images").zero_point});
  ASSERT_THROWS_WITH(to_qdq_onnx(c->det.graph, *c->fq, {}), Error,
                     "tensorrt needs symmetric quantization: 'images' has zero point 5");
}

TEST(QdqExporter, TensorrtRefusesOtherWidthsThan8Bits) {
  auto c = calibrated({"backbone.0"}, 4);
  ASSERT_THROWS_WITH(to_qdq_onnx(c->det.graph, *c->fq, {}), Error,
                     "tensorrt takes 8-bit quantization only: 'backbone.0.conv.weight' has 4 bits");
  QdqExportOptions ort;
  ort.profile = "ort";
  ASSERT_THROWS_WITH(to_qdq_onnx(c->det.graph, *c->fq, ort), Error,
                     "ort takes 8-bit quantization only: 'backbone.0.conv.weight' has 4 bits");
}

TEST(QdqExporter, UnknownProfileIsRefused) {
  auto c = calibrated({"backbone.0"});
  QdqExportOptions o;
  o.profile = "tflite";
  ASSERT_THROWS_WITH(to_qdq_onnx(c->det.graph, *c->fq, o), Error,
                     "unknown export profile 'tflite' (known: ort, tensorrt)");
}

TEST(QdqExporter, OrtPlacementPlansEveryQuantizedConvOutput) {
  auto c = calibrated({"backbone.[0-1]"}, 8, ort_placement());
  std::vector<std::string> conv_outputs;
  for (const auto& p : c->fq->plan().points) {
    if (p.value == "backbone.0.conv" || p.value == "backbone.1.conv") conv_outputs.push_back(p.value);
  }
  EXPECT_EQ(conv_outputs, (std::vector<std::string>{"backbone.0.conv", "backbone.1.conv"}));
}

TEST(QdqExporter, OrtProfileRefusesAStudentPlannedWithoutItsPlacement) {
  auto c = calibrated({"backbone.0"});
  QdqExportOptions o;
  o.profile = "ort";
  ASSERT_THROWS_WITH(to_qdq_onnx(c->det.graph, *c->fq, o), Error,
                     "the ort profile needs the output of Conv 'backbone.0.conv' quantized: plan the student "
                     "with the ort profile's placement");
}

// The ort profile on backbone.0 with hand-set parameters: an asymmetric input point,
// weight scale 1/4, output qparams (1/2, -3) and four bias values that exercise rounding.
TEST(QdqExporter, OrtProfileTakesAsymmetricPointsOnTheUint8GridAndQuantizesTheBias) {
  auto c = calibrated({"backbone.0"}, 8, ort_placement());
  ASSERT_EQ(c->fq->plan().points[0].value, "images");
  ASSERT_EQ(c->fq->plan().points[2].value, "backbone.0.conv");
  c->fq->quantizer(0).set_qparams({at::tensor({0.5f}), at::tensor({5}, at::kInt)});
  c->fq->quantizer(1).set_qparams({at::full({16}, 0.25f), at::zeros({16}, at::kInt)});
  c->fq->quantizer(2).set_qparams({at::tensor({0.5f}), at::tensor({-3}, at::kInt)});
  at::Tensor bias = at::zeros({16});
  bias[0] = 1.0f;      // 1 / (0.5 * 0.25) = 8
  bias[1] = 0.1875f;   // 1.5 → 2 (half to even)
  bias[2] = 0.3125f;   // 2.5 → 2 (half to even)
  bias[3] = -0.0625f;  // -0.5 → 0
  c->det.graph.set_initializer("backbone.0.conv.bias", bias, true);

  QdqExportOptions o;
  o.profile = "ort";
  const auto m = to_qdq_onnx(c->det.graph, *c->fq, o);

  const auto& images_zp = find_initializer(m, "images/zero_point");
  EXPECT_EQ(images_zp.data_type(), onnx::TensorProto::UINT8);
  EXPECT_EQ(static_cast<uint8_t>(images_zp.raw_data().at(0)), 133);  // 5 + 128
  const auto& out_zp = find_initializer(m, "backbone.0.conv/zero_point");
  EXPECT_EQ(out_zp.data_type(), onnx::TensorProto::UINT8);
  EXPECT_EQ(static_cast<uint8_t>(out_zp.raw_data().at(0)), 125);  // -3 + 128
  EXPECT_EQ(find_initializer(m, "backbone.0.conv.weight/zero_point").data_type(), onnx::TensorProto::INT8);

  const auto& qbias = find_initializer(m, "backbone.0.conv.bias/quantized");
  ASSERT_EQ(qbias.data_type(), onnx::TensorProto::INT32);
  ASSERT_EQ(qbias.raw_data().size(), 16u * 4);
  std::vector<int32_t> got(16);
  std::memcpy(got.data(), qbias.raw_data().data(), 16 * 4);
  EXPECT_EQ(got, (std::vector<int32_t>{8, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  const auto& bias_scale = find_initializer(m, "backbone.0.conv.bias/scale");
  ASSERT_EQ(bias_scale.dims_size(), 1);
  EXPECT_EQ(bias_scale.dims(0), 16);
  float s0 = 0;
  std::memcpy(&s0, bias_scale.raw_data().data(), 4);
  EXPECT_EQ(s0, 0.125f);
  EXPECT_EQ(find_initializer(m, "backbone.0.conv.bias/zero_point").data_type(), onnx::TensorProto::INT32);
  for (const auto& t : m.graph().initializer()) EXPECT_NE(t.name(), "backbone.0.conv.bias");

  // DQ(images), DQ(weight), DQ(bias) → Conv → Q, and every reader of the Conv behind the DQ.
  const auto& conv = find_node(m, "backbone.0.conv");
  EXPECT_EQ(conv.input(0), "images/dequantized");
  EXPECT_EQ(conv.input(1), "backbone.0.conv.weight/dequantized");
  EXPECT_EQ(conv.input(2), "backbone.0.conv.bias/dequantized");
  EXPECT_EQ(index_of(m, "backbone.0.conv/QuantizeLinear"), index_of(m, "backbone.0.conv") + 1);
  int readers = 0;
  for (const auto& n : m.graph().node()) {
    for (const auto& in : n.input()) {
      if (in == "backbone.0.conv") {
        EXPECT_EQ(n.name(), "backbone.0.conv/QuantizeLinear");
      }
      readers += in == "backbone.0.conv/dequantized";
    }
  }
  EXPECT_EQ(readers, 2);  // the SiLU's Sigmoid and Mul
  testing::TempDir dir;
  onnx::ModelProto copy = m;
  write_checked_onnx(copy, dir.file("ort.onnx"));  // passes the checker and shape inference
}

// A Conv that feeds a quantized Conv directly already has a planned Q/DQ pair on its
// output: the ort profile puts its other readers behind that pair instead of adding one.
TEST(QdqExporter, OrtProfileReusesThePlannedPairOfAConvFeedingAConv) {
  graph::Graph g;
  g.add_input({"x", {1, 2, 4, 4}});
  g.set_initializer("w1", at::ones({2, 2, 1, 1}));
  g.set_initializer("w2", at::ones({2, 2, 1, 1}));
  g.add_node({"c1", "Conv", {"x", "w1"}, {"y1"}, {}});
  g.add_node({"c2", "Conv", {"y1", "w2"}, {"y2"}, {}});
  g.add_node({"r", "Relu", {"y1"}, {"y3"}, {}});
  g.add_output({"y2", {1, 2, 4, 4}});
  g.add_output({"y3", {1, 2, 4, 4}});
  QuantSection s;
  s.include = {"**"};
  s.exclude = {};
  s.activations.observer = "minmax";
  quant::QuantizerSet fq(quant::make_quant_plan(g, s, ort_placement()));
  graph::Executor exec(g);
  fq.attach(exec);
  fq.set_mode(quant::QuantizerMode::calibrate);
  exec.run({{"x", at::rand({1, 2, 4, 4})}});
  QdqExportOptions o;
  o.profile = "ort";
  const auto m = to_qdq_onnx(g, fq, o);
  EXPECT_EQ(count_op(m, "QuantizeLinear"), 2);  // x, y1 (y2 is read only as a graph output)
  EXPECT_EQ(find_node(m, "c2").input(0), "y1/dequantized");
  EXPECT_EQ(find_node(m, "r").input(0), "y1/dequantized");
  EXPECT_EQ(index_of(m, "y1/QuantizeLinear"), index_of(m, "c1") + 1);
}

// The whole detector (prediction convs excepted, the default region) in the ort profile:
// ONNX Runtime's optimizer fuses each quantized Conv into one QLinearConv, and its
// integer arithmetic reproduces libtorch's fake-quant image of the same graph.
TEST(QdqExporter, OrtProfileFusesEachQuantizedConvIntoQLinearConv) {
  auto c = calibrated({"backbone.**", "neck.**", "head.**"}, 8, ort_placement());
  // Hand count from yolo-nano.yaml: backbone 5 conv + 4 C2f x 4 + SPPF 2 = 23; neck 4 C2f x 4
  // + 2 = 18; head per level stem, cls.0, box.0 = 9 (the 6 *_pred convs stay float).
  ASSERT_EQ(c->fq->plan().quantized_nodes.size(), 50u);
  QdqExportOptions o;
  o.profile = "ort";
  testing::TempDir dir;
  const auto path = dir.file("ort.onnx");
  const auto optimized = dir.file("ort.optimized.onnx");
  export_qdq_onnx(c->det.graph, *c->fq, path, o);
  const auto got = runtime::run_onnxruntime(path, {{"images", c->images}}, {"extended", optimized});

  const OnnxSummary s = inspect_onnx(optimized);
  EXPECT_EQ(s.op_counts.count("QLinearConv") ? s.op_counts.at("QLinearConv") : 0, 50);
  EXPECT_EQ(s.op_counts.count("Conv") ? s.op_counts.at("Conv") : 0, 6);
  // The placement rules' groups (ort_placement()): each quantized Conv's SiLU is one
  // QLinearSigmoid and one QLinearMul (faster than a float SiLU between DQ and Q, measured in
  // docs/export.md); the backbone's 4 C2f bottlenecks have a residual Add;
  // 8 C2f + SPPF + 4 neck joins are Concats. Left in float: the decode's Sigmoid, Mul, Add.
  auto count = [&](const std::string& op) { return s.op_counts.count(op) ? s.op_counts.at(op) : 0; };
  EXPECT_EQ(count("com.microsoft:QLinearSigmoid"), 50);
  EXPECT_EQ(count("com.microsoft:QLinearMul"), 50);
  EXPECT_EQ(count("com.microsoft:QLinearAdd"), 4);
  EXPECT_EQ(count("com.microsoft:QLinearConcat"), 13);
  EXPECT_EQ(count("Sigmoid"), 1);
  EXPECT_EQ(count("Mul"), 1);
  EXPECT_EQ(count("Add"), 1);

  at::NoGradGuard no_grad;
  const auto want = c->exec->run({{"images", c->images}});
  // Same arithmetic on both sides up to rounding boundaries (ORT divides by the scale,
  // requantizes with a float multiplier and adds an int32 bias rounded to the accumulator
  // grid), so a flip moves a value one activation step; the docs' bound for an export
  // is one step of a signed 8-bit grid over each output's own range.
  for (const char* name : {"scores", "boxes"}) {
    const auto& w = want.at(name);
    const quant::QuantSpec grid;
    const double step = quant::qparams_from_range(w.min().reshape({1}), w.max().reshape({1}), grid).scale.item<double>();
    EXPECT_LT(max_diff(got.at(name), w), step) << name;
  }
}

// Every supported opset: the FP32 and the Q/DQ (tensorrt) export pass the checker, carry
// the requested opset and run in ONNX Runtime with libtorch's results.
class QdqExporterOpset : public ::testing::TestWithParam<int> {};

TEST_P(QdqExporterOpset, Fp32AndQdqExportsRunInOnnxRuntime) {
  const int opset = GetParam();
  auto c = calibrated({"backbone.**", "neck.**"});
  testing::TempDir dir;
  at::NoGradGuard no_grad;

  const auto fp32_path = dir.file("fp32.onnx");
  export_onnx(c->det.graph, fp32_path, {opset, "qat", {}});
  const auto fp32 = load(fp32_path);
  ASSERT_EQ(fp32.opset_import_size(), 1);
  EXPECT_EQ(fp32.opset_import(0).version(), opset);
  const auto fp32_want = graph::Executor(c->det.graph).run({{"images", c->images}});
  const auto fp32_got = runtime::run_onnxruntime(fp32_path, {{"images", c->images}});
  for (const char* name : {"scores", "boxes"}) {
    EXPECT_LT(max_diff(fp32_got.at(name), fp32_want.at(name)), 1e-4) << name;
  }

  const auto qdq_path = dir.file("qdq.onnx");
  QdqExportOptions o;
  o.opset = opset;
  export_qdq_onnx(c->det.graph, *c->fq, qdq_path, o);
  const auto qdq = load(qdq_path);
  ASSERT_EQ(qdq.opset_import_size(), 1);
  EXPECT_EQ(qdq.opset_import(0).version(), opset);
  const auto want = c->exec->run({{"images", c->images}});
  const auto got = runtime::run_onnxruntime(qdq_path, {{"images", c->images}});
  // The bounds of OnnxRuntimeMatchesLibtorchFakeQuantAndRegionIsRespected.
  EXPECT_LT(max_diff(got.at("scores"), want.at("scores")), 1e-3);
  EXPECT_LT(max_diff(got.at("boxes"), want.at("boxes")), 0.5);
}

INSTANTIATE_TEST_SUITE_P(Opsets13To17, QdqExporterOpset, ::testing::Range(13, 18));

}  // namespace qat::exporter
