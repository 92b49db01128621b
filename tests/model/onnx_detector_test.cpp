// Importing a detector from ONNX: the native nano detector survives
// export -> import with identical outputs and node names; the head section
// fills the DetectorInfo; bad heads are named.
#include "qat/model/onnx_detector.h"

#include <onnx/onnx_pb.h>

#include <fstream>
#include <set>

#include "qat/export/onnx_exporter.h"
#include "qat/export/qdq_exporter.h"
#include "qat/graph/executor.h"
#include "qat/graph/fold_batch_norm.h"
#include "qat/quant/quantizer_set.h"
#include "qat/quant/quant_plan.h"
#include "support/test_support.h"

namespace qat::model {
namespace {

Detector nano_detector() {
  const auto arch = load_arch((testing::source_dir() / "configs/arch/yolo-nano.yaml").string());
  return build_detector(arch, {"a", "b"}, 64, 0);
}

// The nano detector exported to `path`, and the model section importing it.
ModelSection exported(const Detector& det, const std::string& path, bool with_anchors) {
  exporter::export_onnx(det.graph, path, {13, "qat", {}});
  ModelSection s;
  s.arch.clear();
  s.onnx = path;
  s.head.logits = "logits";
  if (with_anchors) {
    s.head.anchor_points = "head.anchor_points";
    s.head.anchor_strides = "head.anchor_strides";
  }
  return s;
}

std::vector<std::string> node_names(const graph::Graph& g) {
  std::vector<std::string> names;
  for (const auto& n : g.nodes()) names.push_back(n.name);
  return names;
}

std::vector<std::string> parameter_names(const graph::Graph& g) {
  std::vector<std::string> names;
  for (const auto& [name, t] : g.parameters()) names.push_back(name);
  return names;
}

}  // namespace

TEST(OnnxDetector, NativeDetectorRoundTripsWithIdenticalOutputsAndNames) {
  testing::TempDir dir;
  const Detector native = nano_detector();
  const Detector imported = load_onnx_detector(exported(native, dir.file("nano.onnx"), true), {"a", "b"});
  EXPECT_EQ(node_names(imported.graph), node_names(native.graph));
  EXPECT_EQ(parameter_names(imported.graph), parameter_names(native.graph));
  EXPECT_EQ(imported.graph.buffers().size(), native.graph.buffers().size());

  at::manual_seed(3);
  const auto images = at::rand({2, 3, 64, 64});
  at::NoGradGuard no_grad;
  const auto want = graph::Executor(native.graph).run({{"images", images}}, {"logits"});
  const auto got = graph::Executor(imported.graph).run({{"images", images}}, {"logits"});
  for (const char* name : {"boxes", "scores", "logits"}) {
    SCOPED_TRACE(name);
    ASSERT_EQ(got.at(name).sizes(), want.at(name).sizes());
    const double scale = std::max(1.0, want.at(name).abs().max().item<double>());
    EXPECT_LE((got.at(name) - want.at(name)).abs().max().item<double>(), 1e-6 * scale);
  }

  const DetectorInfo& info = imported.info;
  EXPECT_EQ(info.num_classes, 2);
  EXPECT_EQ(info.class_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(info.image_size, 64);
  EXPECT_EQ(info.strides, (std::vector<int64_t>{8, 16, 32}));
  EXPECT_EQ(info.arch, dir.file("nano.onnx"));
  ASSERT_TRUE(imported.has_anchors());
  EXPECT_TRUE(at::equal(imported.anchor_points(), native.anchor_points()));
  EXPECT_FALSE(imported.graph.is_trainable("head.anchor_points"));
}

TEST(OnnxDetector, WithoutAnchorsTheDetectorSaysSo) {
  testing::TempDir dir;
  const Detector imported = load_onnx_detector(exported(nano_detector(), dir.file("nano.onnx"), false));
  EXPECT_FALSE(imported.has_anchors());
  EXPECT_EQ(imported.info.class_names, (std::vector<std::string>{"class0", "class1"}));
  EXPECT_TRUE(imported.info.strides.empty());
  ASSERT_THROWS_WITH(imported.anchor_points(), Error,
                     "model '" + dir.file("nano.onnx") + "' has no anchor constants (model.head.anchor_points)");
}

TEST(OnnxDetector, HeadNamesMustMatchTheGraph) {
  testing::TempDir dir;
  const auto path = dir.file("nano.onnx");
  ModelSection s = exported(nano_detector(), path, true);
  s.head.boxes = "bbox";
  ASSERT_THROWS_WITH(load_onnx_detector(s), IoError, path + ": model.head.boxes 'bbox' is not a graph output");
  s.head.boxes = "scores";
  ASSERT_THROWS_WITH(load_onnx_detector(s), IoError,
                     path + ": output 'scores' has shape [?,84,2]; expected [B,A,4]");
  s.head.boxes = "boxes";
  s.head.logits = "raw";
  ASSERT_THROWS_WITH(load_onnx_detector(s), IoError, path + ": model.head.logits 'raw' is not computed by any node");
  s.head.logits = "logits";
  ASSERT_THROWS_WITH(load_onnx_detector(s, {"a", "b", "c"}), IoError,
                     path + ": output 'scores' has 2 classes but the data has 3");
}

TEST(OnnxDetector, ImportedModelGoesThroughQuantPlanAndQdqExportKeepingNames) {
  testing::TempDir dir;
  Detector det = load_onnx_detector(exported(nano_detector(), dir.file("nano.onnx"), true));
  graph::fold_batch_norm(det.graph);
  QuantSection section;
  section.activations.observer = "minmax";
  graph::Executor exec(det.graph);
  quant::QuantizerSet fq(quant::make_quant_plan(det.graph, section));
  EXPECT_GT(fq.plan().quantized_nodes.size(), 10u);
  fq.attach(exec);
  {
    at::NoGradGuard no_grad;
    at::manual_seed(2);
    fq.set_mode(quant::QuantizerMode::calibrate);
    exec.run({{"images", at::rand({2, 3, 64, 64})}});
    fq.set_mode(quant::QuantizerMode::deploy);
  }
  const auto path = dir.file("int8.onnx");
  exporter::export_qdq_onnx(det.graph, fq, path, {});
  onnx::ModelProto m;
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(m.ParseFromIstream(&in));
  std::set<std::string> written;
  int qdq = 0;
  for (const auto& n : m.graph().node()) {
    written.insert(n.name());
    qdq += n.op_type() == "QuantizeLinear";
  }
  EXPECT_GT(qdq, 10);
  for (const auto& n : det.graph.nodes()) EXPECT_TRUE(written.count(n.name)) << n.name << " lost its name";
}

}  // namespace qat::model

namespace qat::model {

// An Ultralytics export whose recipe names no anchors gets make_anchors' grid from the
// model's `stride` metadata: exactly the Constant anchors the export itself holds.
TEST(OnnxDetector, UltralyticsAnchorsAreMadeFromTheStridesWhenNotNamed) {
  ModelSection s;
  s.onnx = (testing::source_dir() / "tests/data/models/yolov8-tiny-op13-static.onnx").string();
  s.head.layout = "ultralytics";
  const Detector made = load_onnx_detector(s);
  ASSERT_TRUE(made.has_anchors());
  s.head.anchor_points = "/model.22/Constant_9_output_0";
  s.head.anchor_strides = "/model.22/Constant_12_output_0";
  const Detector named = load_onnx_detector(s);
  EXPECT_TRUE(at::equal(made.anchor_points(), named.anchor_points()));
  EXPECT_TRUE(at::equal(made.anchor_strides(), named.anchor_strides()));
  EXPECT_EQ(made.anchor_points().sizes().vec(), (std::vector<int64_t>{84, 2}));
  // The first cell of the stride-8 grid and the last of the stride-32 one, in pixels.
  EXPECT_EQ(made.anchor_points()[0][0].item<float>(), 4.0f);
  EXPECT_EQ(made.anchor_points()[83][1].item<float>(), 48.0f);
  EXPECT_EQ(made.info.strides, (std::vector<int64_t>{8, 16, 32}));
}

}  // namespace qat::model
