#include "qat/metrics/map.h"

#include <cmath>

#include "support/test_support.h"

namespace qat::metrics {
namespace {

at::Tensor boxes(std::vector<float> v) { return at::tensor(v).reshape({-1, 4}); }
at::Tensor labels(std::vector<int64_t> v) { return at::tensor(v); }
Detections dets(std::vector<float> b, std::vector<float> s, std::vector<int64_t> l) {
  return {boxes(b), at::tensor(s), labels(l)};
}

}  // namespace

TEST(AveragePrecision, AllPointInterpolation) {
  // TP, FP, TP against 2 GT: recall .5 at precision 1, recall 1 at precision 2/3.
  EXPECT_NEAR(average_precision({true, false, true}, 2), 0.5 + 0.5 * 2.0 / 3.0, 1e-12);
  // The envelope lifts the dip: FP, TP, TP → precisions 0, 1/2, 2/3 → 2/3 everywhere.
  EXPECT_NEAR(average_precision({false, true, true}, 2), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(average_precision({true}, 4), 0.25, 1e-12);
  EXPECT_EQ(average_precision({}, 3), 0.0);
  EXPECT_TRUE(std::isnan(average_precision({true}, 0)));
}

TEST(MapEvaluator, PerfectDetectionsScoreOne) {
  MapEvaluator ev(2);
  ev.add(dets({0, 0, 10, 10, 20, 20, 40, 40}, {0.9f, 0.8f}, {0, 1}), boxes({0, 0, 10, 10, 20, 20, 40, 40}),
         labels({0, 1}));
  ev.add(dets({5, 5, 9, 9}, {0.4f}, {1}), boxes({5, 5, 9, 9}), labels({1}));
  const auto r = ev.result();
  EXPECT_DOUBLE_EQ(r.map, 1.0);
  EXPECT_EQ(r.ap_per_class, (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(r.recall_per_class, (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(r.gt_per_class, (std::vector<int64_t>{1, 2}));
}

TEST(MapEvaluator, HandComputedApAndClassWithoutGroundTruth) {
  MapEvaluator ev(3);
  // Class 0: 2 GT; by score TP (0.9), duplicate of the same GT = FP (0.8), TP (0.7).
  // Class 1: a detection but no GT (excluded). Class 2: one GT, no detection (AP 0).
  ev.add(dets({0, 0, 10, 10, 0, 0, 10, 10, 20, 20, 30, 30, 50, 50, 60, 60}, {0.8f, 0.9f, 0.7f, 0.95f}, {0, 0, 0, 1}),
         boxes({0, 0, 10, 10, 20, 20, 30, 30, 70, 70, 80, 80}), labels({0, 0, 2}));
  const auto r = ev.result();
  EXPECT_NEAR(r.ap_per_class[0], 0.8333333333333333, 1e-12);
  EXPECT_TRUE(std::isnan(r.ap_per_class[1]));
  EXPECT_EQ(r.ap_per_class[2], 0.0);
  EXPECT_NEAR(r.map, 0.8333333333333333 / 2, 1e-12);
  EXPECT_EQ(r.recall_per_class[0], 1.0);
  EXPECT_TRUE(std::isnan(r.recall_per_class[1]));
  EXPECT_EQ(r.recall_per_class[2], 0.0);
  EXPECT_EQ(r.gt_per_class, (std::vector<int64_t>{2, 0, 1}));
}

TEST(MapEvaluator, RanksDetectionsAcrossImages) {
  MapEvaluator ev(1);
  ev.add(dets({0, 0, 10, 10}, {0.6f}, {0}), boxes({0, 0, 10, 10}), labels({0}));
  ev.add(dets({50, 50, 60, 60}, {0.9f}, {0}), boxes({0, 0, 10, 10}), labels({0}));
  // Sorted: FP (0.9), TP (0.6) → precision 1/2 at recall 1/2.
  const auto r = ev.result();
  EXPECT_NEAR(r.map, 0.25, 1e-12);
  EXPECT_EQ(r.recall_per_class[0], 0.5);
}

TEST(MapEvaluator, IouThresholdIsInclusiveAndClassesMustAgree) {
  MapEvaluator ev(2);
  // IoU exactly 0.5: a match. IoU 0.49: not. Right box, wrong class: not.
  ev.add(dets({0, 0, 10, 5}, {0.9f}, {0}), boxes({0, 0, 10, 10}), labels({0}));
  ev.add(dets({0, 0, 10, 4.9f}, {0.9f}, {0}), boxes({0, 0, 10, 10}), labels({0}));
  ev.add(dets({0, 0, 10, 10}, {0.9f}, {1}), boxes({0, 0, 10, 10}), labels({0}));
  const auto r = ev.result();
  EXPECT_NEAR(r.recall_per_class[0], 1.0 / 3.0, 1e-12);
  EXPECT_TRUE(std::isnan(r.ap_per_class[1]));
}

TEST(MapEvaluator, TakesTheBestUnmatchedGroundTruth) {
  MapEvaluator ev(1);
  // The 0.9 detection overlaps B (11/12) more than A (10/11) and takes it; the 0.8 one
  // fits B perfectly but B is taken, so it matches A (IoU 5/6) instead of being a FP.
  ev.add(dets({0, 0, 10, 11, 0, 0, 10, 12}, {0.9f, 0.8f}, {0, 0}), boxes({0, 0, 10, 10, 0, 0, 10, 12}),
         labels({0, 0}));
  const auto r = ev.result();
  EXPECT_DOUBLE_EQ(r.map, 1.0);
}

TEST(MapEvaluator, EmptyInputs) {
  MapEvaluator ev(2);
  ev.add({at::zeros({0, 4}), at::zeros({0}), at::zeros({0}, at::kLong)}, at::zeros({0, 4}), at::zeros({0}, at::kLong));
  const auto r = ev.result();
  EXPECT_EQ(r.map, 0.0);
  EXPECT_TRUE(std::isnan(r.ap_per_class[0]));
}

TEST(MapEvaluator, RejectsBadInput) {
  ASSERT_THROWS_WITH(MapEvaluator(0), Error, "MapEvaluator: num_classes must be positive, got 0");
  MapEvaluator ev(2);
  ASSERT_THROWS_WITH(ev.add(dets({0, 0, 1, 1}, {0.5f}, {2}), boxes({}), labels({})), Error,
                     "MapEvaluator::add: detection label 2 is outside [0,2)");
  ASSERT_THROWS_WITH(ev.add(dets({0, 0, 1, 1}, {0.5f}, {0}), boxes({0, 0, 1, 1}), labels({0, 1})), ShapeError,
                     "MapEvaluator::add: gt_labels must be [1], got [2]");
}

}  // namespace qat::metrics
