#include "qat/runtime/onnx_runtime.h"

#include "qat/export/onnx_exporter.h"
#include "qat/graph/executor.h"
#include "qat/model/detector.h"
#include "support/test_support.h"

namespace qat::runtime {

TEST(OnnxRuntime, Fp32DetectorMatchesLibtorchWithin1e4) {
  const auto arch = model::load_arch((testing::source_dir() / "configs/arch/yolo-nano.yaml").string());
  const auto det = model::build_detector(arch, {"a", "b", "c"}, 96, 3);
  testing::TempDir dir;
  const auto path = dir.file("fp32.onnx");
  exporter::export_onnx(det.graph, path, {});
  at::manual_seed(0);
  const auto images = at::rand({2, 3, 96, 96});
  graph::Executor exec(det.graph);
  at::NoGradGuard no_grad;
  const auto expected = exec.run({{"images", images}});
  const auto got = run_onnxruntime(path, {{"images", images}});
  ASSERT_EQ(got.size(), 2u);
  for (const char* name : {"boxes", "scores"}) {
    SCOPED_TRACE(name);
    ASSERT_EQ(got.at(name).sizes(), expected.at(name).sizes());
    const double diff = (got.at(name) - expected.at(name)).abs().max().item<double>();
    EXPECT_LT(diff, 1e-4);
  }
}

TEST(OnnxRuntime, WrongInputShapeReportsOrtsReason) {
  graph::Graph g;
  g.add_input({"x", {2}});
  g.add_node({"r", "Relu", {"x"}, {"y"}, {}});
  g.add_output({"y", {2}});
  testing::TempDir dir;
  const auto path = dir.file("relu.onnx");
  exporter::export_onnx(g, path, {});
  EXPECT_TRUE(at::equal(run_onnxruntime(path, {{"x", at::tensor({-1.0f, 2.0f})}}).at("y"), at::tensor({0.0f, 2.0f})));
  try {
    run_onnxruntime(path, {{"x", at::zeros({3})}});
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path + ": ONNX Runtime failed: ", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find("Got: 3 Expected: 2"), std::string::npos) << e.what();
  }
}

TEST(OnnxRuntime, VersionIsThePinnedOne) { EXPECT_EQ(onnxruntime_version(), "1.23.2"); }

}  // namespace qat::runtime
