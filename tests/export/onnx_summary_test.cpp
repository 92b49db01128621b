#include "qat/export/onnx_summary.h"

#include <onnx/onnx_pb.h>

#include "qat/export/onnx_exporter.h"
#include "qat/export/qdq_exporter.h"
#include "qat/graph/fold_batch_norm.h"
#include "qat/model/detector.h"
#include "support/test_support.h"

namespace qat::exporter {
namespace {

int count(const std::map<std::string, int>& counts, const std::string& key) {
  auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

}  // namespace

TEST(OnnxSummary, FormatsEveryFactOfASmallModel) {
  graph::Graph g;
  g.add_input({"x", {1, 2}});
  g.set_initializer("w", at::ones({2, 2}));
  g.add_node({"mm", "MatMul", {"x", "w"}, {"y"}, {}});
  g.add_node({"act/relu", "Relu", {"y"}, {"z"}, {}});
  g.add_output({"z", {1, 2}});
  testing::TempDir dir;
  const auto path = dir.file("small.onnx");
  export_onnx(g, path, {15, "qat", {{"k", "v"}}});
  const auto s = inspect_onnx(path);
  EXPECT_EQ(format_summary(s),
            "model: " + path + "\n"
            "ir_version: 8\n"
            "producer: qat " QAT_VERSION "\n"
            "opset: 15\n"
            "ops: 2 nodes\n"
            "  MatMul: 1\n"
            "  Relu: 1\n"
            "qdq by region: QuantizeLinear DequantizeLinear\n"
            "quantized nodes: 0\n"
            "initializers:\n"
            "  float: 1\n"
            "metadata:\n"
            "  k: v\n");
}

// backbone.0 and backbone.1 quantized (tensorrt): Q/DQ on images and on backbone.0's
// output (region "images" and "backbone"), two int8 weights behind DequantizeLinear.
TEST(OnnxSummary, CountsQdqPerRegionAndTheQuantizedNodesOfAnExportedDetector) {
  const auto arch = model::load_arch((testing::source_dir() / "configs/arch/yolo-nano.yaml").string());
  auto det = model::build_detector(arch, {"a", "b"}, 64, 0);
  graph::fold_batch_norm(det.graph);
  QuantSection section;
  section.include = {"backbone.[0-1]"};
  section.activations.observer = "minmax";
  quant::QuantizerSet fq(quant::make_quant_plan(det.graph, section));
  graph::Executor exec(det.graph);
  fq.attach(exec);
  fq.set_mode(quant::QuantizerMode::calibrate);
  at::manual_seed(1);
  {
    at::NoGradGuard no_grad;
    exec.run({{"images", at::rand({2, 3, 64, 64})}});
  }
  testing::TempDir dir;
  const auto fp32_path = dir.file("fp32.onnx");
  const auto qdq_path = dir.file("int8.onnx");
  export_onnx(det.graph, fp32_path, {});
  export_qdq_onnx(det.graph, fq, qdq_path, {});
  const auto fp32 = inspect_onnx(fp32_path);
  const auto s = inspect_onnx(qdq_path);

  EXPECT_EQ(s.opsets, (std::map<std::string, int64_t>{{"", 13}}));
  EXPECT_EQ(count(s.op_counts, "QuantizeLinear"), 2);
  EXPECT_EQ(count(s.op_counts, "DequantizeLinear"), 4);
  EXPECT_EQ(count(s.op_counts, "Conv"), 56);  // 23 backbone + 18 neck + 15 head
  ASSERT_EQ(s.qdq_by_region.size(), 2u);
  EXPECT_EQ(s.qdq_by_region.at("images").quantize, 1);
  EXPECT_EQ(s.qdq_by_region.at("images").dequantize, 1);
  EXPECT_EQ(s.qdq_by_region.at("backbone").quantize, 1);
  EXPECT_EQ(s.qdq_by_region.at("backbone").dequantize, 3);
  EXPECT_EQ(s.quantized_nodes, (std::vector<std::string>{"backbone.0.conv", "backbone.1.conv"}));
  EXPECT_TRUE(fp32.quantized_nodes.empty());
  // Two FP32 weights became int8; four scales (float) and four zero points (int8) were added.
  EXPECT_EQ(count(s.initializer_types, "float"), count(fp32.initializer_types, "float") - 2 + 4);
  EXPECT_EQ(count(s.initializer_types, "int8"), 2 + 4);
  EXPECT_EQ(count(s.initializer_types, "int64"), count(fp32.initializer_types, "int64"));
  EXPECT_EQ(s.metadata.at("qat.profile"), "tensorrt");
  EXPECT_EQ(s.metadata.at("qat.arch"), "yolo-nano");
}

TEST(OnnxSummary, PatternNamesAreTheImportedNodesWithTheirOpTypes) {
  graph::Graph g;
  g.add_input({"x", {1, 2, 4, 4}});
  g.set_initializer("w", at::ones({2, 2, 1, 1}), true);
  g.set_initializer("shape", at::tensor(std::vector<int64_t>{1, 32}, at::kLong));
  g.add_node({"/backbone/body/features.3/Conv", "Conv", {"x", "w"}, {"c"}, {}});
  g.add_node({"/backbone/body/features.3/Relu", "Relu", {"c"}, {"r"}, {}});
  g.add_node({"/head/Reshape", "Reshape", {"r", "shape"}, {"y"}, {}});
  g.add_output({"y", {1, 32}});
  testing::TempDir dir;
  const auto path = dir.file("torch_names.onnx");
  export_onnx(g, path, {13, "qat", {}});
  const auto names = pattern_names(path);
  ASSERT_EQ(names.size(), 3u);
  EXPECT_TRUE(names[0].quantizable);
  EXPECT_FALSE(names[2].quantizable);
  EXPECT_EQ(format_names(names),
            "nodes: 3 (1 quantizable)\n"
            "/backbone/body/features.3/Conv Conv quantizable\n"
            "/backbone/body/features.3/Relu Relu\n"
            "/head/Reshape Reshape\n");
}

TEST(OnnxSummary, MissingFileAndJunkAreReportedByName) {
  testing::TempDir dir;
  const auto missing = dir.file("none.onnx");
  ASSERT_THROWS_WITH(inspect_onnx(missing), IoError, missing + ": cannot read the file");
  ASSERT_THROWS_WITH(inspect_onnx(dir.path().string()), IoError, dir.path().string() + ": cannot read the file");
  const auto junk = dir.write("junk.onnx", "this is not a model\n");
  ASSERT_THROWS_WITH(inspect_onnx(junk), IoError, junk + ": not an ONNX model");
  const auto empty = dir.write("empty.onnx", "");
  ASSERT_THROWS_WITH(inspect_onnx(empty), IoError, empty + ": not an ONNX model");
}

}  // namespace qat::exporter
