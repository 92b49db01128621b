#include "qat/distill/ground_truth_loss.h"

#include "support/test_support.h"

namespace qat::distill {

TEST(GroundTruthLoss, IsTheDetectionLossOfTheStudent) {
  at::manual_seed(7);
  // A 2x2 grid of stride 16; boxes 16x16 around each anchor.
  const auto points = at::tensor({8.f, 8.f, 24.f, 8.f, 8.f, 24.f, 24.f, 24.f}).reshape({4, 2});
  const auto strides = at::full({4}, 16.0f);
  const auto targets = at::tensor({0.f, 1.f, 2.f, 2.f, 18.f, 20.f});
  graph::ValueMap teacher;  // not read: a wrong teacher changes nothing
  graph::ValueMap student;
  student["logits"] = at::randn({1, 4, 2});
  student["boxes"] = at::cat({points - 8, points + 8}, 1).unsqueeze(0);
  const auto t = targets.reshape({1, 6});
  const DistillContext ctx{teacher, student, points, strides, t};
  const auto want = loss::detection_loss(student["logits"], student["boxes"], points, strides, t, {}).total;
  const double got = GroundTruthLoss().compute(ctx).item<double>();
  EXPECT_DOUBLE_EQ(got, want.item<double>());
  EXPECT_GT(got, 0.1);
}

}  // namespace qat::distill
