#include "qat/metrics/box_ops.h"

#include "support/test_support.h"

namespace qat::metrics {
namespace {

at::Tensor boxes(std::vector<float> v) { return at::tensor(v).reshape({-1, 4}); }

}  // namespace

TEST(BoxIou, HandComputedPairs) {
  // [0,0,2,2] vs [1,1,3,3]: intersection 1, union 4 + 4 - 1 = 7.
  const auto a = boxes({0, 0, 2, 2, 0, 0, 4, 4});
  const auto b = boxes({1, 1, 3, 3, 0, 0, 2, 2, 10, 10, 11, 11});
  const auto iou = box_iou(a, b);
  ASSERT_EQ(iou.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_FLOAT_EQ(iou[0][0].item<float>(), 1.0f / 7.0f);
  EXPECT_FLOAT_EQ(iou[0][1].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(iou[0][2].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(iou[1][0].item<float>(), 4.0f / 16.0f);
  EXPECT_FLOAT_EQ(iou[1][1].item<float>(), 4.0f / 16.0f);
  EXPECT_FLOAT_EQ(iou[1][2].item<float>(), 0.0f);
}

TEST(BoxIou, DegenerateBoxesGiveZeroNotNaN) {
  const auto iou = box_iou(boxes({1, 1, 1, 1}), boxes({1, 1, 1, 1, 0, 0, 2, 2}));
  EXPECT_FLOAT_EQ(iou[0][0].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(iou[0][1].item<float>(), 0.0f);
}

TEST(BoxIou, EmptyInputs) {
  EXPECT_EQ(box_iou(at::zeros({0, 4}), boxes({0, 0, 1, 1})).sizes(), (std::vector<int64_t>{0, 1}));
}

TEST(BoxIou, RejectsBadShapes) {
  ASSERT_THROWS_WITH(box_iou(at::zeros({3, 5}), at::zeros({1, 4})), ShapeError,
                     "box_iou: a must be [N,4], got [3,5]");
  ASSERT_THROWS_WITH(giou(at::zeros({3, 4}), at::zeros({2, 4})), ShapeError,
                     "giou: b must be [3,4] like a, got [2,4]");
}

TEST(Giou, HandComputedPairs) {
  const auto a = boxes({0, 0, 2, 2, 0, 0, 1, 1, 0, 0, 2, 2});
  const auto b = boxes({1, 1, 3, 3, 2, 0, 3, 1, 0, 0, 2, 2});
  const auto g = giou(a, b);
  // Overlap: enclosing [0,0,3,3] = 9, union 7 → 1/7 - 2/9.
  EXPECT_NEAR(g[0].item<float>(), 1.0 / 7.0 - 2.0 / 9.0, 1e-6);
  // Disjoint: enclosing [0,0,3,1] = 3, union 2 → 0 - 1/3.
  EXPECT_NEAR(g[1].item<float>(), -1.0 / 3.0, 1e-6);
  EXPECT_NEAR(g[2].item<float>(), 1.0, 1e-6);
  EXPECT_NEAR(paired_iou(a, b)[0].item<float>(), 1.0 / 7.0, 1e-6);
}

TEST(Giou, GradientMatchesFiniteDifferences) {
  auto a = at::tensor({0.2, 0.1, 2.3, 1.9}, at::kDouble).reshape({1, 4}).requires_grad_(true);
  const auto b = at::tensor({1.0, 0.5, 3.0, 3.5}, at::kDouble).reshape({1, 4});
  giou(a, b).sum().backward();
  const auto grad = a.grad();
  for (int i = 0; i < 4; ++i) {
    const double h = 1e-6;
    auto plus = a.detach().clone(), minus = a.detach().clone();
    plus[0][i] += h;
    minus[0][i] -= h;
    const double numeric = (giou(plus, b).item<double>() - giou(minus, b).item<double>()) / (2 * h);
    EXPECT_NEAR(grad[0][i].item<double>(), numeric, 1e-6) << "coordinate " << i;
    EXPECT_NE(grad[0][i].item<double>(), 0.0) << "coordinate " << i;
  }
}

}  // namespace qat::metrics
