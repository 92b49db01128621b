#include "qat/distill/registry.h"

#include "support/test_support.h"

namespace qat::distill {
namespace {

// A random but well-formed batch: B=2, A=6 anchors, C=3 classes, two feature taps.
struct Random {
  graph::ValueMap teacher, student;
  at::Tensor points, strides = at::tensor({8.f, 8.f, 8.f, 16.f, 16.f, 32.f}), targets;
  explicit Random(uint64_t seed) {
    at::manual_seed(seed);
    points = at::rand({6, 2}) * 64;
    targets = at::tensor({0.f, 1.f, 10.f, 10.f, 40.f, 40.f, 1.f, 2.f, 20.f, 5.f, 60.f, 30.f}).reshape({2, 6});
    for (auto* m : {&teacher, &student}) {
      const auto centre = points.unsqueeze(0).expand({2, 6, 2});
      const auto half = at::rand({2, 6, 2}) * 10 + 2;
      (*m)["boxes"] = at::cat({centre - half, centre + half}, 2);
      (*m)["logits"] = at::randn({2, 6, 3}) * 2;
      (*m)["scores"] = at::sigmoid((*m)["logits"]);
      (*m)["f1"] = at::randn({2, 4, 3, 3});
      (*m)["f2"] = at::randn({2, 5, 2, 2});
    }
    teacher["logits"][0][0][1] = 3.0f;  // at least one anchor well above any floor
  }
  DistillContext ctx() const { return {teacher, student, points, strides, targets}; }
};

LossSpec spec(const std::string& type) {
  LossSpec s;
  s.type = type;
  s.taps = {"f1", "f2"};
  s.temperature = 2.0;
  return s;
}

const std::vector<std::string> kTeacherLosses = {"feature_mse", "feature_cosine", "score_bce", "score_kl",
                                                 "box_l1_giou"};

}  // namespace

TEST(LossRegistry, ListsTheBuiltIns) {
  EXPECT_EQ(loss_registry().names(), (std::vector<std::string>{"box_l1_giou", "feature_cosine", "feature_mse",
                                                               "ground_truth", "score_bce", "score_kl"}));
  ASSERT_THROWS_WITH(loss_registry().get("score_bc"), Error,
                     "unknown distillation loss 'score_bc'; did you mean 'score_bce'?");
}

TEST(LossRegistry, TeacherLossesVanishWhenTheStudentEqualsTheTeacher) {
  Random r(3);
  r.student = r.teacher;
  for (const auto& type : kTeacherLosses) {
    SCOPED_TRACE(type);
    const double v = loss_registry().get(type)(spec(type))->compute(r.ctx()).item<double>();
    if (type == "feature_cosine") {
      EXPECT_NEAR(v, 0.0, 1e-6);  // x.x / (|x| |x|) rounds to within an ulp of 1
    } else {
      EXPECT_EQ(v, 0.0);
    }
  }
  // And they are positive when it does not.
  Random other(4);
  const DistillContext mixed{r.teacher, other.student, r.points, r.strides, r.targets};
  for (const auto& type : kTeacherLosses) {
    SCOPED_TRACE(type);
    EXPECT_GT(loss_registry().get(type)(spec(type))->compute(mixed).item<double>(), 1e-3);
  }
}

TEST(LossRegistry, GradientsReachTheStudentOnly) {
  for (const auto& type : loss_registry().names()) {
    SCOPED_TRACE(type);
    Random r(5);
    graph::ValueMap leaves_t, leaves_s;
    for (auto& [name, value] : r.teacher) value = leaves_t[name] = value.clone().requires_grad_(true);
    for (auto& [name, value] : r.student) value = leaves_s[name] = value.clone().requires_grad_(true);
    const auto loss = loss_registry().get(type)(spec(type))->compute(r.ctx());
    ASSERT_EQ(loss.dim(), 0);
    ASSERT_TRUE(loss.requires_grad());
    loss.backward();
    double student_grad = 0;
    for (const auto& [name, leaf] : leaves_s) {
      if (leaf.grad().defined()) {
        EXPECT_TRUE(at::isfinite(leaf.grad()).all().item<bool>()) << name;
        student_grad += leaf.grad().abs().sum().item<double>();
      }
    }
    EXPECT_GT(student_grad, 0.0);
    for (const auto& [name, leaf] : leaves_t) EXPECT_FALSE(leaf.grad().defined()) << name;
  }
}

}  // namespace qat::distill
