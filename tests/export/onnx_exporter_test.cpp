#include "qat/export/onnx_exporter.h"

#include <onnx/onnx_pb.h>

#include <fstream>

#include "qat/model/detector.h"
#include "support/test_support.h"

namespace qat::exporter {
namespace {

model::Detector tiny_detector() {
  const auto arch = model::load_arch((testing::source_dir() / "configs/arch/yolo-nano.yaml").string());
  return model::build_detector(arch, {"a", "b"}, 64, 0);
}

onnx::ModelProto load(const std::string& path) {
  onnx::ModelProto m;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(m.ParseFromIstream(&in));
  return m;
}

}  // namespace

TEST(OnnxExporter, WritesEveryNodeWithItsNameAndPassesTheChecker) {
  testing::TempDir dir;
  const auto det = tiny_detector();
  const auto path = dir.file("fp32.onnx");
  export_onnx(det.graph, path, {13, "qat", {{"qat.recipe_hash", "abc"}}});
  const auto m = load(path);
  ASSERT_EQ(m.graph().node_size(), static_cast<int>(det.graph.nodes().size()));
  EXPECT_EQ(m.graph().node(0).name(), "backbone.0.conv");
  EXPECT_EQ(m.opset_import(0).version(), 13);
  EXPECT_EQ(m.graph().input(0).name(), "images");
  EXPECT_EQ(m.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "batch");
  EXPECT_EQ(m.graph().output(1).name(), "scores");
  bool found = false;
  for (const auto& p : m.metadata_props()) found |= p.key() == "qat.recipe_hash" && p.value() == "abc";
  EXPECT_TRUE(found);
  EXPECT_EQ(m.graph().value_info_size(), 0);
  // Every parameter and constant is there, bit for bit.
  for (const auto& init : m.graph().initializer()) {
    if (init.name() != "backbone.0.conv.weight") continue;
    const auto& w = det.graph.initializer("backbone.0.conv.weight");
    ASSERT_EQ(init.raw_data().size(), static_cast<size_t>(w.numel() * 4));
    EXPECT_EQ(std::memcmp(init.raw_data().data(), w.data_ptr(), init.raw_data().size()), 0);
  }
}

TEST(OnnxExporter, ShapeInferenceRejectsAnInconsistentGraph) {
  graph::Graph g;
  g.add_input({"x", {1, 3}});
  g.set_initializer("w", at::ones({4, 5}));
  g.add_node({"mm", "MatMul", {"x", "w"}, {"y"}, {}});
  g.add_output({"y", {1, 5}});
  testing::TempDir dir;
  const auto path = dir.file("bad.onnx");
  try {
    export_onnx(g, path, {});
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_EQ(e.path(), path);
    EXPECT_NE(std::string(e.what()).find("ONNX check failed"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("mm"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(OnnxExporter, RefusesUnsupportedOpset) {
  graph::Graph g;
  ASSERT_THROWS_WITH(to_onnx(g, {12, "qat", {}}), Error, "ONNX opset 12 is not supported (13 to 17)");
}

// An opset-17 export's Reshape carries allowzero (Reshape-14): at export.opset 13
// it would mean something else, so the check names the node, the attribute and
// both opsets; HardSwish (from 14) the same without the attribute.
TEST(CheckOpset, AnAttributeALaterOpVersionAddedNeedsThatVersion) {
  graph::Graph g;
  g.add_input({"x", {1, 4}});
  g.set_initializer("shape", at::tensor(std::vector<int64_t>{2, 2}));
  graph::Node reshape{"/head/Reshape", "Reshape", {"x", "shape"}, {"y"}, {}};
  reshape.attrs.set("allowzero", int64_t{0});
  g.add_node(reshape);
  g.add_node({"/head/HardSwish", "HardSwish", {"y"}, {"z"}, {}});
  g.add_output({"z", {2, 2}});
  ASSERT_THROWS_WITH(check_opset(g, 13, 17), Error,
                     "export.opset 13: node '/head/Reshape' is a Reshape with attribute 'allowzero', which ONNX "
                     "defines from opset 14 (the model is opset 17); set export.opset to 14 or higher");
  EXPECT_NO_THROW(check_opset(g, 14, 17));
  g.nodes()[0].attrs.erase("allowzero");
  ASSERT_THROWS_WITH(check_opset(g, 13, 17), Error,
                     "export.opset 13: node '/head/HardSwish' is a HardSwish, which ONNX defines from opset 14 "
                     "(the model is opset 17); set export.opset to 14 or higher");
  g.nodes()[0].attrs.set("no_such", int64_t{1});
  ASSERT_THROWS_WITH(check_opset(g, 17), Error,
                     "export.opset 17: node '/head/Reshape' is a Reshape with attribute 'no_such', which ONNX does "
                     "not define (up to opset 17)");
}

}  // namespace qat::exporter
