#include "qat/loss/detection_loss.h"

#include <cmath>

#include "support/test_support.h"

namespace qat::loss {
namespace {

// A 4x4 grid of stride 8 (a 32x32 input): anchor y*4+x sits at (4+8x, 4+8y).
struct Grid {
  at::Tensor points = at::stack({(at::arange(16) % 4).to(at::kFloat) * 8 + 4,
                                 at::div(at::arange(16), 4, "floor").to(at::kFloat) * 8 + 4},
                                1);
  at::Tensor strides = at::full({16}, 8.0f);

  // Boxes 16x16 around every anchor: ltrb = exp(raw) * stride with raw = 0.
  at::Tensor decode(const at::Tensor& raw) const {
    const auto ltrb = raw.exp() * strides.view({1, 16, 1});
    const auto c = points.unsqueeze(0);
    return at::cat({c - ltrb.slice(2, 0, 2), c + ltrb.slice(2, 2, 4)}, 2);
  }
};

std::vector<int64_t> to_vec(const at::Tensor& t) {
  const auto c = t.to(at::kLong).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

at::Tensor targets(std::vector<float> v) { return at::tensor(v).reshape({-1, 6}); }

// One GT [8,8,24,24] of class 0; anchor 10 (centre 20,20) predicts it exactly, the others
// predict 16x16 boxes around their centres.
struct OneBox {
  Grid grid;
  at::Tensor boxes = grid.decode(at::zeros({1, 16, 4}));
  at::Tensor logits = at::zeros({1, 16, 2});
  at::Tensor gt = targets({0, 0, 8, 8, 24, 24});
  OneBox() { boxes[0][10] = at::tensor({8.f, 8.f, 24.f, 24.f}); }
};

DetectionLossOptions tight() {
  DetectionLossOptions o;
  o.topk = 1;
  o.center_radius = 0.5;
  return o;
}

}  // namespace

TEST(AssignTargets, TopAlignedAnchorPlusNearestCentre) {
  OneBox c;
  const auto a = assign_targets(c.logits, c.boxes, c.grid.points, c.grid.strides, c.gt, tight());
  // Top-1 by alignment: anchor 10 (IoU 1). Nearest centre: anchors 5, 6, 9, 10 are
  // equally near (16,16); the lowest index, 5, is added.
  EXPECT_EQ(a.num_positive, 2);
  EXPECT_EQ(to_vec(at::nonzero(a.positive[0]).reshape({-1})), (std::vector<int64_t>{5, 10}));
  EXPECT_EQ(a.gt_index[0][5].item<int64_t>(), 0);
  EXPECT_EQ(a.gt_index[0][10].item<int64_t>(), 0);
  EXPECT_EQ(a.gt_index[0][0].item<int64_t>(), -1);
  // Soft targets: IoU over the best positive's IoU (1): 1 and 144/368.
  EXPECT_FLOAT_EQ(a.cls_target[0][10][0].item<float>(), 1.0f);
  EXPECT_NEAR(a.cls_target[0][5][0].item<float>(), 144.0 / 368.0, 1e-6);
  EXPECT_FLOAT_EQ(a.cls_target.sum().item<float>(), 1.0f + 144.0f / 368.0f);
}

TEST(AssignTargets, WiderRadiusAndTopkAddCandidates) {
  OneBox c;
  DetectionLossOptions o;  // topk 10, radius 2.5 strides: every anchor is a candidate
  const auto a = assign_targets(c.logits, c.boxes, c.grid.points, c.grid.strides, c.gt, o);
  // Every predicted 16x16 box overlaps the GT, so the 10 best aligned are positive
  // (the nearest-centre anchor 5 is among them).
  EXPECT_EQ(a.num_positive, 10);
  EXPECT_TRUE(a.positive[0][5].item<bool>());
  EXPECT_TRUE(a.positive[0][10].item<bool>());
  EXPECT_FALSE(a.positive[0][0].item<bool>());  // a corner: IoU 16/496, below all 8 edge anchors
}

TEST(AssignTargets, SharedAnchorKeepsTheBestOverlapAndImagesAreSeparate) {
  Grid grid;
  auto boxes = grid.decode(at::zeros({2, 16, 4}));
  boxes.select(1, 10).copy_(at::tensor({8.f, 8.f, 24.f, 24.f}).expand({2, 4}));
  // Image 0: A = [8,8,24,24] class 0 and B = [10,10,24,24] class 1 both pick anchor 10,
  // which overlaps A fully (B: 196/256) and stays with A. Image 1: only B.
  const auto t = targets({0, 0, 8, 8, 24, 24, 0, 1, 10, 10, 24, 24, 1, 1, 10, 10, 24, 24});
  const auto a = assign_targets(at::zeros({2, 16, 2}), boxes, grid.points, grid.strides, t, tight());
  EXPECT_EQ(a.num_positive, 3);
  EXPECT_EQ(to_vec(a.gt_index[0]), (std::vector<int64_t>{-1, -1, -1, -1, -1, 0, -1, -1, -1, -1, 0, -1, -1, -1, -1, -1}));
  EXPECT_EQ(to_vec(a.gt_index[1]),
            (std::vector<int64_t>{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 2, -1, -1, -1, -1, -1}));
  EXPECT_FLOAT_EQ(a.cls_target[0][10][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(a.cls_target[0][10][1].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(a.cls_target[1][10][1].item<float>(), 1.0f);
}

TEST(DetectionLoss, HandComputedParts) {
  OneBox c;
  auto o = tight();
  o.l1_weight = 0.5;
  const auto loss = detection_loss(c.logits, c.boxes, c.grid.points, c.grid.strides, c.gt, o);
  EXPECT_EQ(loss.num_positive, 2);
  // BCE of logit 0 is log 2 whatever the target: 32 entries / 2 positives.
  EXPECT_NEAR(loss.cls.item<float>(), 16 * std::log(2.0), 1e-5);
  // Anchor 10: GIoU 1. Anchor 5 [4,4,20,20]: IoU 144/368, enclosing 400 → GIoU 144/368 - 32/400.
  const double box = (1 - (144.0 / 368.0 - 32.0 / 400.0)) / 2;
  EXPECT_NEAR(loss.box.item<float>(), box, 1e-6);
  // Anchor 5 is off by 4 px = half a stride on each of 4 coordinates.
  EXPECT_NEAR(loss.l1.item<float>(), 1.0, 1e-6);
  EXPECT_NEAR(loss.total.item<float>(), 16 * std::log(2.0) + 5 * box + 0.5, 1e-5);
}

TEST(DetectionLoss, BoxLossVanishesWhenPredictionsEqualTheTruth) {
  OneBox c;
  const auto boxes = at::tensor({8.f, 8.f, 24.f, 24.f}).expand({1, 16, 4}).contiguous();
  const auto loss = detection_loss(c.logits, boxes, c.grid.points, c.grid.strides, c.gt, {});
  // All 16 align equally: any 10, plus anchor 5 (nearest the centre) if not among them.
  EXPECT_GE(loss.num_positive, 10);
  EXPECT_LE(loss.num_positive, 11);
  EXPECT_NEAR(loss.box.item<float>(), 0.0, 1e-6);
  EXPECT_NEAR(loss.l1.item<float>(), 0.0, 1e-6);
}

TEST(DetectionLoss, GradientsReachLogitsAndBoxes) {
  at::manual_seed(0);
  Grid grid;
  auto logits = (at::randn({2, 16, 3}) * 0.5).requires_grad_(true);
  auto raw = (at::randn({2, 16, 4}) * 0.3).requires_grad_(true);
  const auto t = targets({0, 2, 3, 5, 9, 12, 0, 0, 14, 2, 30, 20, 1, 1, 10, 10, 20, 30});
  DetectionLossOptions o;
  o.l1_weight = 1.0;
  const auto loss = detection_loss(logits, grid.decode(raw), grid.points, grid.strides, t, o);
  loss.total.backward();
  ASSERT_TRUE(logits.grad().defined());
  ASSERT_TRUE(raw.grad().defined());
  EXPECT_TRUE(at::isfinite(logits.grad()).all().item<bool>());
  EXPECT_TRUE(at::isfinite(raw.grad()).all().item<bool>());
  EXPECT_GT(logits.grad().abs().sum().item<float>(), 0.0f);
  EXPECT_GT(raw.grad().abs().sum().item<float>(), 0.0f);
  // Every box got at least one positive: 3 boxes.
  EXPECT_GE(loss.num_positive, 3);
}

TEST(DetectionLoss, NoTargetsStillBackpropagates) {
  Grid grid;
  auto logits = at::zeros({1, 16, 2}).requires_grad_(true);
  auto raw = at::zeros({1, 16, 4}).requires_grad_(true);
  const auto loss = detection_loss(logits, grid.decode(raw), grid.points, grid.strides, at::zeros({0, 6}), {});
  EXPECT_EQ(loss.num_positive, 0);
  EXPECT_NEAR(loss.cls.item<float>(), 32 * std::log(2.0), 1e-4);
  EXPECT_EQ(loss.box.item<float>(), 0.0f);
  loss.total.backward();
  EXPECT_GT(logits.grad().abs().sum().item<float>(), 0.0f);
  ASSERT_TRUE(raw.grad().defined());
}

TEST(DetectionLoss, SgdStepsReduceTheLoss) {
  Grid grid;
  auto logits = at::zeros({1, 16, 2}).requires_grad_(true);
  auto raw = at::zeros({1, 16, 4}).requires_grad_(true);
  const auto t = targets({0, 1, 6, 9, 22, 27});
  double first = 0, first_box = 0, last = 0, last_box = 0;
  for (int step = 0; step < 40; ++step) {
    const auto loss = detection_loss(logits, grid.decode(raw), grid.points, grid.strides, t, {});
    if (step == 0) {
      first = loss.total.item<double>();
      first_box = loss.box.item<double>();
    }
    last = loss.total.item<double>();
    last_box = loss.box.item<double>();
    loss.total.backward();
    {
      at::NoGradGuard no_grad;
      logits.sub_(logits.grad());  // plain SGD, lr 1 for logits and 0.2 for box parameters
      raw.sub_(raw.grad() * 0.2);
    }
    logits.grad().zero_();
    raw.grad().zero_();
  }
  EXPECT_LT(last, 0.5 * first);
  EXPECT_LT(last_box, 0.5 * first_box);
}

TEST(DetectionLoss, RejectsBadInput) {
  Grid grid;
  const auto logits = at::zeros({1, 16, 2});
  const auto boxes = at::zeros({1, 16, 4});
  ASSERT_THROWS_WITH(detection_loss(logits, at::zeros({1, 16, 3}), grid.points, grid.strides, targets({}), {}),
                     ShapeError, "detection_loss: boxes must be [1,16,4], got [1,16,3]");
  ASSERT_THROWS_WITH(detection_loss(logits, boxes, grid.points, grid.strides, at::zeros({2, 5}), {}), ShapeError,
                     "detection_loss: targets must be [T,6] (batch, label, x1, y1, x2, y2), got [2,5]");
  ASSERT_THROWS_WITH(detection_loss(logits, boxes, grid.points, grid.strides.slice(0, 0, 8), targets({}), {}),
                     ShapeError, "detection_loss: anchor_strides must be [16], got [8]");
  ASSERT_THROWS_WITH(detection_loss(logits, boxes, grid.points, grid.strides, targets({0, 2, 0, 0, 1, 1}), {}), Error,
                     "detection_loss: target labels must be in [0,2), got 2..2");
  ASSERT_THROWS_WITH(detection_loss(logits, boxes, grid.points, grid.strides, targets({1, 0, 0, 0, 1, 1}), {}), Error,
                     "detection_loss: target batch indices must be in [0,1), got 1..1");
}

}  // namespace qat::loss
