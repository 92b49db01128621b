#include "qat/model/detector.h"

#include "qat/graph/executor.h"
#include "support/test_support.h"

namespace qat::model {
namespace {

ArchSpec nano() { return load_arch((testing::source_dir() / "configs/arch/yolo-nano.yaml").string()); }
const std::vector<std::string> kClasses = {"a", "b", "c"};

}  // namespace

TEST(Detector, OutputsFollowTheGraphContract) {
  const Detector det = build_detector(nano(), kClasses, 160, 0);
  // 20x20 + 10x10 + 5x5 anchors at strides 8, 16, 32.
  EXPECT_EQ(det.anchor_points().sizes(), (std::vector<int64_t>{525, 2}));
  EXPECT_EQ(det.info.strides, (std::vector<int64_t>{8, 16, 32}));
  graph::Executor exec(det.graph);
  const auto out = exec.run({{"images", at::rand({2, 3, 160, 160})}}, {"logits"});
  EXPECT_EQ(out.at("boxes").sizes(), (std::vector<int64_t>{2, 525, 4}));
  EXPECT_EQ(out.at("scores").sizes(), (std::vector<int64_t>{2, 525, 3}));
  EXPECT_TRUE(at::allclose(out.at("scores"), at::sigmoid(out.at("logits"))));
}

TEST(Detector, AnchorPointsAreCellCentres) {
  const Detector det = build_detector(nano(), kClasses, 64, 0);
  const auto p = det.anchor_points();
  const auto s = det.anchor_strides();
  // First level (stride 8, 8x8 cells): row-major, x fastest.
  EXPECT_FLOAT_EQ(p[0][0].item<float>(), 4.0f);
  EXPECT_FLOAT_EQ(p[1][0].item<float>(), 12.0f);
  EXPECT_FLOAT_EQ(p[8][1].item<float>(), 12.0f);
  // Last anchor: stride 32, 2x2 cells, centre (48, 48).
  EXPECT_FLOAT_EQ(p[-1][0].item<float>(), 48.0f);
  EXPECT_FLOAT_EQ(s[-1].item<float>(), 32.0f);
  EXPECT_EQ(s.size(0), 64 + 16 + 4);
}

TEST(Detector, BoxesDecodeAsCentrePlusMinusExpTimesStride) {
  Detector det = build_detector(nano(), kClasses, 64, 0);
  // Zero box predictions: raw = 0, so l = t = r = b = stride.
  for (int level = 0; level < 3; ++level) {
    const std::string p = "head." + std::to_string(level) + ".box_pred";
    det.graph.set_initializer(p + ".weight", at::zeros_like(det.graph.initializer(p + ".weight")), true);
    det.graph.set_initializer(p + ".bias", at::zeros({4}), true);
  }
  graph::Executor exec(det.graph);
  const auto boxes = exec.run({{"images", at::rand({1, 3, 64, 64})}}).at("boxes")[0];
  const auto pts = det.anchor_points();
  const auto s = det.anchor_strides().unsqueeze(1);
  EXPECT_TRUE(at::allclose(boxes, at::cat({pts - s, pts + s}, 1)));
}

TEST(Detector, NodesAreNamedByStructure) {
  const Detector det = build_detector(nano(), kClasses, 160, 0);
  EXPECT_NE(det.graph.find_node("backbone.0.conv"), nullptr);
  EXPECT_NE(det.graph.find_node("backbone.4.m.0.cv1.conv"), nullptr);
  EXPECT_NE(det.graph.find_node("backbone.9.pool3"), nullptr);
  EXPECT_NE(det.graph.find_node("neck.5.cv2.conv"), nullptr);
  EXPECT_NE(det.graph.find_node("head.2.cls_pred"), nullptr);
  EXPECT_EQ(det.graph.find_node("backbone.10.conv"), nullptr);
}

TEST(Detector, InitializationIsDeterministicPerSeed) {
  const Detector a = build_detector(nano(), kClasses, 64, 7);
  const Detector b = build_detector(nano(), kClasses, 64, 7);
  const Detector c = build_detector(nano(), kClasses, 64, 8);
  const auto& w = "backbone.3.conv.weight";
  EXPECT_TRUE(at::equal(a.graph.initializer(w), b.graph.initializer(w)));
  EXPECT_FALSE(at::equal(a.graph.initializer(w), c.graph.initializer(w)));
}

TEST(Detector, CloneIsDeep) {
  const Detector a = build_detector(nano(), kClasses, 64, 0);
  Detector b = clone_detector(a);
  const auto& w = "head.0.cls_pred.weight";
  {
    at::NoGradGuard no_grad;
    b.graph.initializer(w).add_(1.0);
  }
  EXPECT_FALSE(at::equal(a.graph.initializer(w), b.graph.initializer(w)));
  EXPECT_TRUE(b.graph.initializer(w).requires_grad());
}

TEST(Detector, StrideMismatchNamesTheNeckIndex) {
  ArchSpec arch = nano();
  arch.neck_from = {2, 6, 9};
  ASSERT_THROWS_WITH(build_detector(arch, kClasses, 160, 0), Error,
                     arch.file + ": neck.from[0]: backbone block 2 has stride 4, expected 8");
}

}  // namespace qat::model
