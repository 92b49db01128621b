#include "qat/distill/feature_losses.h"

#include "support/test_support.h"

namespace qat::distill {
namespace {

at::Tensor t(std::vector<float> v, std::vector<int64_t> shape) { return at::tensor(v).reshape(shape); }

// Only feature values: the feature losses read nothing else.
struct Features {
  graph::ValueMap teacher, student;
  at::Tensor points = at::zeros({0, 2}), strides = at::zeros({0}), targets = at::zeros({0, 6});
  DistillContext ctx() const { return {teacher, student, points, strides, targets}; }
};

}  // namespace

TEST(FeatureMse, RelativeToTheTeacherEnergyAveragedOverTaps) {
  Features f;
  // Tap a: one entry off by 2 → MSE 4/4 = 1; mean t^2 = (1+4+9+16)/4 = 7.5.
  f.teacher["a"] = t({1, 2, 3, 4}, {1, 2, 2});
  f.student["a"] = t({1, 2, 3, 6}, {1, 2, 2});
  // Tap b: MSE (4+0)/2 = 2; mean t^2 = 2 → 1.
  f.teacher["b"] = t({2, 0}, {1, 2});
  f.student["b"] = t({0, 0}, {1, 2});
  EXPECT_NEAR(FeatureMseLoss({"a"}).compute(f.ctx()).item<double>(), 1 / 7.5, 1e-7);
  EXPECT_NEAR(FeatureMseLoss({"b"}).compute(f.ctx()).item<double>(), 1.0, 1e-7);
  EXPECT_NEAR(FeatureMseLoss({"a", "b"}).compute(f.ctx()).item<double>(), (1 / 7.5 + 1) / 2, 1e-7);
}

TEST(FeatureMse, ScaleInvariant) {
  Features f, g;
  at::manual_seed(1);
  f.teacher["a"] = at::randn({2, 3, 4, 4});
  f.student["a"] = f.teacher["a"] + 0.1 * at::randn({2, 3, 4, 4});
  g.teacher["a"] = f.teacher["a"] * 100;
  g.student["a"] = f.student["a"] * 100;
  EXPECT_NEAR(FeatureMseLoss({"a"}).compute(f.ctx()).item<double>(),
              FeatureMseLoss({"a"}).compute(g.ctx()).item<double>(), 1e-6);
}

TEST(FeatureCosine, PerPositionOverChannels) {
  Features f;
  // [B=1, C=2, P=2]: position 0 teacher (1,0) vs student (0,1): orthogonal, 1 - 0 = 1;
  // position 1 teacher (1,1) vs student (2,2): parallel, 0. Mean 0.5.
  f.teacher["a"] = t({1, 1, 0, 1}, {1, 2, 2});
  f.student["a"] = t({0, 2, 1, 2}, {1, 2, 2});
  EXPECT_NEAR(FeatureCosineLoss({"a"}).compute(f.ctx()).item<double>(), 0.5, 1e-7);
  // Orthogonal everywhere → 1; opposite → 2.
  f.teacher["o"] = t({1, 0, 0, 3}, {2, 2});
  f.student["o"] = t({0, 5, 2, 0}, {2, 2});
  EXPECT_NEAR(FeatureCosineLoss({"o"}).compute(f.ctx()).item<double>(), 1.0, 1e-7);
  f.teacher["n"] = t({1, 2, 3, 4}, {1, 4});
  f.student["n"] = t({-1, -2, -3, -4}, {1, 4});
  EXPECT_NEAR(FeatureCosineLoss({"n"}).compute(f.ctx()).item<double>(), 2.0, 1e-6);
  EXPECT_NEAR(FeatureCosineLoss({"a", "o", "n"}).compute(f.ctx()).item<double>(), 3.5 / 3, 1e-6);
}

TEST(FeatureLosses, MissingTapIsNamed) {
  Features f;
  f.teacher["a"] = at::ones({1, 2});
  f.student["a"] = at::ones({1, 2});
  f.teacher["only_teacher"] = at::ones({1, 2});
  ASSERT_THROWS_WITH(FeatureMseLoss({"a", "neck.5.cv2.act"}).compute(f.ctx()), Error,
                     "distillation tap 'neck.5.cv2.act' is not among the computed values");
  ASSERT_THROWS_WITH(FeatureCosineLoss({"only_teacher"}).compute(f.ctx()), Error,
                     "distillation tap 'only_teacher' is not among the computed values");
}

TEST(FeatureLosses, MismatchedShapesAndEmptyTaps) {
  Features f;
  f.teacher["a"] = at::ones({1, 2, 3});
  f.student["a"] = at::ones({1, 3, 2});
  ASSERT_THROWS_WITH(FeatureMseLoss({"a"}).compute(f.ctx()), ShapeError,
                     "feature_mse: 'a' of the student is [1,3,2] but of the teacher [1,2,3]");
  f.teacher["v"] = at::ones({3});
  f.student["v"] = at::ones({3});
  ASSERT_THROWS_WITH(FeatureCosineLoss({"v"}).compute(f.ctx()), ShapeError,
                     "feature_cosine: tap 'v' must be [B,C,...], got [3]");
  ASSERT_THROWS_WITH(FeatureMseLoss({}), Error, "feature_mse: expected at least one tap");
}

}  // namespace qat::distill
