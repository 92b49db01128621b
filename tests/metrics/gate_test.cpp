#include "qat/metrics/gate.h"

#include "support/test_support.h"

namespace qat::metrics {
namespace {

BehaviourStats stats(double recall, double precision, double iou, double mae) {
  BehaviourStats s{};
  s.recall = recall;
  s.precision_agreement = precision;
  s.median_iou = iou;
  s.confidence_mae = mae;
  s.recall_per_class = {1.0, 0.5, 0.0};
  s.teacher_per_class = {4, 2, 0};
  s.matched_per_class = {4, 1, 0};
  return s;
}

}  // namespace

TEST(Gate, PassesOnlyWhenEveryFigureMeetsItsBound) {
  const Gate g;
  EXPECT_TRUE(g.check(stats(0.95, 0.9, 0.9, 0.05), {}).passed);
  const auto v = g.check(stats(0.9312, 0.95, 0.85, 0.06), {});
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.summary(), "recall 0.9312 < 0.95; median IoU 0.8500 < 0.9; confidence MAE 0.0600 > 0.05");
}

// A teacher without detections fails every figure for want of them (median IoU 0):
// the refusal names that, the threshold and the split; otherwise it is the summary.
TEST(Gate, ARefusalForATeacherWithoutDetectionsNamesThresholdAndSplit) {
  const Gate g;
  BehaviourStats none{};  // recall 1, precision agreement 1, median IoU 0
  const auto v = g.check(none, {});
  EXPECT_EQ(v.summary(), "median IoU 0.0000 < 0.9");
  EXPECT_EQ(refusal_text(none, v, 0.7, "val", "eval.score_threshold"),
            "the teacher detects nothing at threshold 0.7 on split 'val', so the gate has no detections to compare "
            "the student with (lower eval.score_threshold, or use a trained model)");
  BehaviourStats some = stats(0.9312, 0.95, 0.85, 0.06);
  some.teacher_count = 3;
  EXPECT_EQ(refusal_text(some, g.check(some, {}), 0.7, "val", "--threshold"),
            "recall 0.9312 < 0.95; median IoU 0.8500 < 0.9; confidence MAE 0.0600 > 0.05");
  EXPECT_EQ(refusal_text(stats(1, 1, 1, 0), g.check(stats(1, 1, 1, 0), {}), 0.7, "val", "--threshold"), "passed");
}

TEST(Gate, ClassRecallFloorIgnoresClassesTheTeacherNeverFound) {
  Gate g;
  g.min_class_recall = 0.6;
  EXPECT_EQ(g.check(stats(1, 1, 1, 0), {}).summary(), "class 1 recall 0.5000 (1/2) < 0.6");
}

// A class below the floor is named by id and, when the data names its classes, by name,
// with the teacher's detections the student matched; without per-class matches (stats
// made by hand) the counts are left out.
TEST(Gate, ClassRecallFailureNamesTheClassAndItsCounts) {
  Gate g;
  g.min_class_recall = 0.95;
  const std::vector<std::string> names = {"T-shirt/top", "Bag", "Sandal"};
  EXPECT_EQ(g.check(stats(1, 1, 1, 0), names).summary(), "class 1 'Bag' recall 0.5000 (1/2) < 0.95");
  BehaviourStats by_hand = stats(1, 1, 1, 0);
  by_hand.matched_per_class.clear();
  EXPECT_EQ(g.check(by_hand, names).summary(), "class 1 'Bag' recall 0.5000 < 0.95");
  // The rare recipe's PTQ (docs/rare-classes.md): 35 of 37 teacher Bag detections.
  BehaviourMeter meter(2);
  auto box = [](float x) { return std::vector<float>{x, 0.f, x + 10.f, 10.f}; };
  for (int i = 0; i < 37; ++i) {
    const auto boxes = at::tensor(box(0)).reshape({1, 4});
    const Detections teacher{boxes, at::tensor({0.8f}), at::tensor(std::vector<int64_t>{1})};
    const Detections student{i < 35 ? boxes : at::tensor(box(50)).reshape({1, 4}), at::tensor({0.8f}),
                             at::tensor(std::vector<int64_t>{1})};
    meter.add(teacher, student);
  }
  const BehaviourStats s = meter.result();
  g = Gate{};
  g.min_recall = 0;
  g.min_precision_agreement = 0;
  g.min_class_recall = 0.95;
  EXPECT_EQ(g.check(s, {"T-shirt/top", "Bag"}).summary(), "class 1 'Bag' recall 0.9459 (35/37) < 0.95");
  EXPECT_EQ(g.check(s, {}).summary(), "class 1 recall 0.9459 (35/37) < 0.95");
}

TEST(Gate, ShippedDefaultLoadsAndMisspellingsAreErrors) {
  const Gate g = Gate::load((testing::source_dir() / "configs/gates/default.yaml").string());
  EXPECT_DOUBLE_EQ(g.min_recall, 0.95);
  EXPECT_DOUBLE_EQ(g.max_confidence_mae, 0.05);
  testing::TempDir dir;
  const auto file = dir.write("g.yaml", "min_recal: 0.9\n");
  ASSERT_THROWS_WITH(Gate::load(file), ConfigError, file + ":1:1: min_recal: unknown key; did you mean 'min_recall'?");
}

}  // namespace qat::metrics
