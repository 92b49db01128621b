#include "qat/metrics/behaviour.h"

#include "support/test_support.h"

namespace qat::metrics {
namespace {

Detections dets(std::vector<float> b, std::vector<float> s, std::vector<int64_t> l) {
  return {at::tensor(b).reshape({-1, 4}), at::tensor(s), at::tensor(l)};
}

}  // namespace

TEST(BehaviourMeter, HandMadeTwoImages) {
  BehaviourMeter meter(3);
  // Image 1: T0↔S0 (IoU 0.8), T1↔S1 (IoU 0.5, inclusive); T2 has only a wrong-class
  // student box; S3 is an extra student box of another class.
  meter.add(dets({0, 0, 10, 10, 20, 20, 30, 30, 40, 40, 50, 50}, {0.9f, 0.8f, 0.75f}, {0, 0, 1}),
            dets({0, 0, 10, 8, 20, 20, 30, 25, 40, 40, 50, 50, 0, 0, 10, 10}, {0.85f, 0.6f, 0.7f, 0.5f},
                 {0, 0, 0, 1}));
  // Image 2: one match with IoU 0.9.
  meter.add(dets({0, 0, 10, 10}, {0.9f}, {1}), dets({0, 0, 10, 9}, {0.95f}, {1}));
  const auto r = meter.result();
  EXPECT_EQ(r.teacher_count, 4);
  EXPECT_EQ(r.student_count, 5);
  EXPECT_EQ(r.matched, 3);
  EXPECT_DOUBLE_EQ(r.recall, 0.75);
  EXPECT_DOUBLE_EQ(r.precision_agreement, 0.6);
  EXPECT_NEAR(r.median_iou, 0.8, 1e-9);
  EXPECT_NEAR(r.confidence_mae, (0.05 + 0.2 + 0.05) / 3, 1e-6);
  EXPECT_EQ(r.teacher_per_class, (std::vector<int64_t>{2, 2, 0}));
  EXPECT_EQ(r.recall_per_class, (std::vector<double>{1.0, 0.5, 1.0}));
  EXPECT_EQ(r.matched_per_class, (std::vector<int64_t>{2, 1, 0}));
}

TEST(BehaviourMeter, MedianOfEvenCountAveragesTheMiddle) {
  BehaviourMeter meter(1);
  meter.add(dets({0, 0, 10, 10, 20, 20, 30, 30}, {0.9f, 0.8f}, {0, 0}),
            dets({0, 0, 10, 6, 20, 20, 30, 28}, {0.9f, 0.8f}, {0, 0}));
  const auto r = meter.result();
  EXPECT_EQ(r.matched, 2);
  EXPECT_NEAR(r.median_iou, 0.7, 1e-9);
  EXPECT_NEAR(r.confidence_mae, 0.0, 1e-9);
}

TEST(BehaviourMeter, GreedyByTeacherScoreThenBestIou) {
  BehaviourMeter meter(1);
  // The single student box overlaps the second teacher box more (11/12 vs 10/11), but
  // the more confident teacher box claims it first.
  meter.add(dets({0, 0, 10, 10, 0, 0, 10, 12}, {0.9f, 0.8f}, {0, 0}), dets({0, 0, 10, 11}, {0.5f}, {0}));
  auto r = meter.result();
  EXPECT_EQ(r.matched, 1);
  EXPECT_NEAR(r.median_iou, 10.0 / 11.0, 1e-9);
  EXPECT_NEAR(r.confidence_mae, 0.4, 1e-6);

  BehaviourMeter best(1);
  // Among free student boxes of the class, the highest IoU wins (0.9 over 0.6).
  best.add(dets({0, 0, 10, 10}, {0.9f}, {0}), dets({0, 0, 10, 6, 0, 0, 10, 9}, {0.2f, 0.7f}, {0, 0}));
  r = best.result();
  EXPECT_NEAR(r.median_iou, 0.9, 1e-9);
  EXPECT_NEAR(r.confidence_mae, 0.2, 1e-6);
  EXPECT_DOUBLE_EQ(r.precision_agreement, 0.5);
}

TEST(BehaviourMeter, NothingToCompare) {
  BehaviourMeter meter(2);
  meter.add(dets({}, {}, {}), dets({}, {}, {}));
  const auto r = meter.result();
  EXPECT_DOUBLE_EQ(r.recall, 1.0);
  EXPECT_DOUBLE_EQ(r.precision_agreement, 1.0);
  EXPECT_DOUBLE_EQ(r.median_iou, 0.0);
  EXPECT_DOUBLE_EQ(r.confidence_mae, 0.0);
  EXPECT_EQ(r.recall_per_class, (std::vector<double>{1.0, 1.0}));

  BehaviourMeter missed(1);
  missed.add(dets({0, 0, 1, 1}, {0.9f}, {0}), dets({}, {}, {}));
  EXPECT_DOUBLE_EQ(missed.result().recall, 0.0);
  EXPECT_DOUBLE_EQ(missed.result().precision_agreement, 1.0);
}

TEST(BehaviourMeter, MissesAreToldApartByCause) {
  BehaviourMeter meter(3);
  // Five teacher boxes of class 0, far apart; T0 is matched. Student: S0 matches T0,
  // S1 calls T2's object class 1, S2 is class 0 but shifted off T3 (IoU 1/3), and the
  // below-threshold set has T1's box (IoU 0.9) and a class-0 box on T2 too (below wins).
  const Detections teacher = dets({0, 0, 10, 10, 20, 0, 30, 10, 40, 0, 50, 10, 60, 0, 70, 10, 80, 0, 90, 10},
                                  {0.95f, 0.9f, 0.85f, 0.8f, 0.75f}, {0, 0, 0, 0, 0});
  const Detections student =
      dets({0, 0, 10, 10, 40, 0, 50, 10, 65, 0, 75, 10}, {0.9f, 0.8f, 0.75f}, {0, 1, 0});
  const Detections below = dets({20, 0, 30, 9, 40, 0, 50, 10}, {0.65f, 0.62f}, {0, 0});
  meter.add(teacher, student, &below);
  // T4 is simply absent. The same image without the below-threshold detections:
  // T1 becomes absent and T2 a wrong-class miss.
  meter.add(teacher, student);
  const auto r = meter.result();
  EXPECT_EQ(r.matched, 2);
  EXPECT_EQ(r.misses.below_threshold, 2);
  EXPECT_EQ(r.misses.wrong_class, 1);
  EXPECT_EQ(r.misses.box, 2);
  EXPECT_EQ(r.misses.absent, 3);
  EXPECT_EQ(r.missed_teacher_scores,
            (std::vector<double>{0.75f, 0.75f, 0.8f, 0.8f, 0.85f, 0.85f, 0.9f, 0.9f}));
}

TEST(BehaviourMeter, RejectsBadInput) {
  ASSERT_THROWS_WITH(BehaviourMeter(2, 0.0), Error, "BehaviourMeter: match_iou must be in (0,1], got 0");
  BehaviourMeter meter(2);
  ASSERT_THROWS_WITH(meter.add(dets({0, 0, 1, 1}, {0.9f}, {5}), dets({}, {}, {})), Error,
                     "BehaviourMeter::add: teacher label 5 is outside [0,2)");
  ASSERT_THROWS_WITH(meter.add(dets({0, 0, 1, 1}, {0.9f}, {0}), {at::zeros({2, 4}), at::zeros({1}), at::zeros({2})}),
                     ShapeError, "BehaviourMeter::add: student scores must be [2], got [1]");
}

}  // namespace qat::metrics
