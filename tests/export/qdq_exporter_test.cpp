#include "qat/export/qdq_exporter.h"

#include <onnx/onnx_pb.h>

#include <fstream>

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
  std::unique_ptr<quant::FakeQuantGraph> fq;
  at::Tensor images;
};

// The nano detector, BN folded, calibrated on random images with the region `include`.
std::unique_ptr<Calibrated> calibrated(const std::vector<std::string>& include) {
  auto c = std::make_unique<Calibrated>();
  const auto arch = model::load_arch((testing::source_dir() / "configs/arch/yolo-nano.yaml").string());
  c->det = model::build_detector(arch, {"a", "b"}, 64, 0);
  graph::fold_batch_norm(c->det.graph);
  QuantSection s;
  s.include = include;
  s.activations.observer = "minmax";
  c->exec = std::make_unique<graph::Executor>(c->det.graph);
  c->fq = std::make_unique<quant::FakeQuantGraph>(quant::make_quant_plan(c->det.graph, s));
  c->fq->attach(*c->exec);
  at::manual_seed(1);
  c->images = at::rand({4, 3, 64, 64});
  at::NoGradGuard no_grad;
  c->fq->set_observing(true, true);
  c->fq->set_fake_quant(false);
  c->exec->run({{"images", c->images}});
  c->fq->set_observing(false, false);
  c->fq->set_fake_quant(true);
  return c;
}

int count_op(const onnx::ModelProto& m, const std::string& op, const std::string& prefix = "") {
  int n = 0;
  for (const auto& node : m.graph().node()) n += node.op_type() == op && node.name().rfind(prefix, 0) == 0;
  return n;
}

}  // namespace

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

}  // namespace qat::exporter
