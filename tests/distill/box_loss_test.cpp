#include "qat/distill/box_loss.h"

#include <cmath>

#include "support/test_support.h"

namespace qat::distill {
namespace {

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

at::Tensor boxes(std::vector<float> v) { return at::tensor(v).reshape({1, -1, 4}); }

// One image, three anchors, one class.
struct Three {
  graph::ValueMap teacher, student;
  at::Tensor points = at::zeros({3, 2}), strides = at::tensor({8.f, 16.f, 8.f}), targets = at::zeros({0, 6});
  Three() {
    // Anchor 0 confident (sigmoid 2 = 0.881), anchor 1 below the floor (sigmoid -5 = 0.0067),
    // anchor 2 at 0.5.
    teacher["logits"] = at::tensor({2.f, -5.f, 0.f}).reshape({1, 3, 1});
    student["logits"] = at::zeros({1, 3, 1});
    teacher["boxes"] = boxes({0, 0, 8, 8, 0, 0, 8, 8, 0, 0, 8, 8});
    // Anchor 0 is 4 px short in y2; anchor 1 is far off but ignored; anchor 2 is exact.
    student["boxes"] = boxes({0, 0, 8, 4, 100, 100, 120, 120, 0, 0, 8, 8});
  }
  DistillContext ctx() const { return {teacher, student, points, strides, targets}; }
};

}  // namespace

TEST(BoxL1Giou, OnlyAnchorsAboveTheFloorWeightedByTeacherScore) {
  Three c;
  // Anchor 0: L1 = 4 / stride 8 = 0.5; IoU 32/64 = 0.5 and the enclosing box is the union,
  // so GIoU 0.5 and 1 - GIoU = 0.5. Anchor 2: 0. Weighted mean over anchors 0 and 2.
  const double w0 = sigmoid(2), w2 = 0.5;
  const double expected = (w0 * 1.0 + w2 * 0.0) / (w0 + w2);  // 0.637890
  EXPECT_NEAR(BoxL1GiouLoss(0.05).compute(c.ctx()).item<double>(), expected, 1e-6);
  EXPECT_NEAR(expected, 0.63789031, 1e-7);
  // Raising the floor above 0.5 leaves anchor 0 alone: its own loss, 1.
  EXPECT_NEAR(BoxL1GiouLoss(0.6).compute(c.ctx()).item<double>(), 1.0, 1e-6);
}

TEST(BoxL1Giou, WithoutAnchorsTheL1IsInTeacherBoxSides) {
  Three c;
  c.strides = at::Tensor();
  // Anchor 0: the teacher box is 8 x 8, so L1 = 4 / 8 = 0.5 as with stride 8 (the same
  // figure); a 16-px teacher box halves it.
  const double w0 = sigmoid(2), w2 = 0.5;
  EXPECT_NEAR(BoxL1GiouLoss(0.05).compute(c.ctx()).item<double>(), (w0 * 1.0) / (w0 + w2), 1e-6);
  c.teacher["boxes"] = boxes({0, 0, 8, 24, 0, 0, 8, 8, 0, 0, 8, 8});  // anchor 0: 8 x 24, mean side 16
  c.student["boxes"] = boxes({0, 0, 8, 20, 100, 100, 120, 120, 0, 0, 8, 8});
  // L1 = 4 / 16 = 0.25; IoU 160/192, the enclosing box is the teacher's: 1 - GIoU = 1/6.
  EXPECT_NEAR(BoxL1GiouLoss(0.05).compute(c.ctx()).item<double>(), (w0 * (0.25 + 1.0 / 6)) / (w0 + w2), 1e-6);
}

// Without anchors the unit is at least one cell, sqrt(H * W / A): 3 anchors on a
// 192-px image make cells of 8 px. A 2 x 2 teacher box (mean side 2 < 8) costs its
// L1 in cells and no GIoU; the 8 x 8 box of anchor 2 (one cell) keeps its GIoU.
TEST(BoxL1Giou, WithoutAnchorsBoxesSmallerThanACellAreMeasuredInCellsWithoutGiou) {
  Three c;
  c.strides = at::Tensor();
  c.teacher["boxes"] = boxes({0, 0, 2, 2, 0, 0, 8, 8, 0, 0, 8, 8});
  c.student["boxes"] = boxes({0, 0, 2, 6, 100, 100, 120, 120, 0, 0, 8, 12});
  const double w0 = sigmoid(2), w2 = 0.5;
  // Anchor 0: L1 = 4 / 8 = 0.5. Anchor 2: L1 4 / 8 = 0.5, IoU 64/96 with the student's
  // box enclosing both: 1 - GIoU = 1/3.
  DistillContext ctx{c.teacher, c.student, c.points, c.strides, c.targets, 192.0};
  EXPECT_NEAR(BoxL1GiouLoss(0.05).compute(ctx).item<double>(), (w0 * 0.5 + w2 * (0.5 + 1.0 / 3)) / (w0 + w2), 1e-6);
  // Image size unknown: cells of one pixel, as before: anchor 0 L1 = 4 / 2 = 2 and
  // 1 - GIoU = 1 - 4/12 = 2/3; anchor 2 L1 = 4 / 8.
  EXPECT_NEAR(BoxL1GiouLoss(0.05).compute(c.ctx()).item<double>(),
              (w0 * (2 + 2.0 / 3) + w2 * (0.5 + 1.0 / 3)) / (w0 + w2), 1e-6);
}

TEST(BoxL1Giou, NothingAboveTheFloorIsZeroAndStillBackpropagates) {
  Three c;
  auto student_boxes = c.student["boxes"].clone().requires_grad_(true);
  c.student["boxes"] = student_boxes;
  const auto loss = BoxL1GiouLoss(0.99).compute(c.ctx());
  EXPECT_EQ(loss.item<double>(), 0.0);
  loss.backward();
  ASSERT_TRUE(student_boxes.grad().defined());
  EXPECT_EQ(student_boxes.grad().abs().sum().item<double>(), 0.0);
}

TEST(BoxL1Giou, RejectsBadShapes) {
  Three c;
  c.student["boxes"] = at::zeros({1, 3, 5});
  c.teacher["boxes"] = at::zeros({1, 3, 5});
  ASSERT_THROWS_WITH(BoxL1GiouLoss(0.05).compute(c.ctx()), ShapeError, "box_l1_giou: boxes must be [1,3,4], got [1,3,5]");
  ASSERT_THROWS_WITH(BoxL1GiouLoss(1.5), Error, "box_l1_giou: score_floor must be in [0, 1], got 1.5");
}

}  // namespace qat::distill
