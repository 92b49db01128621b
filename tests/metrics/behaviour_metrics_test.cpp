#include "qat/metrics/behaviour_metrics.h"

#include "support/test_support.h"

namespace qat::metrics {
namespace {

BehaviourStats stats() {
  BehaviourStats s{};
  s.recall = 0.8;
  s.precision_agreement = 0.6;
  s.median_iou = 0.91234;
  s.confidence_mae = 0.03125;
  return s;
}

}  // namespace

TEST(BehaviourMetrics, TableNamesTheCsvColumnsAndGateKeysInOrder) {
  std::vector<std::string> names, keys;
  for (const auto& m : behaviour_metrics()) {
    names.emplace_back(m.name);
    keys.push_back(m.gate_key());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"recall", "precision_agreement", "median_iou", "confidence_mae"}));
  EXPECT_EQ(keys, (std::vector<std::string>{"min_recall", "min_precision_agreement", "min_median_iou",
                                            "max_confidence_mae"}));
  YAML::Emitter out;
  out << YAML::Flow << Gate{}.to_yaml();
  EXPECT_EQ(std::string(out.c_str()),
            "{min_recall: 0.95, min_precision_agreement: 0.9, min_median_iou: 0.9, max_confidence_mae: 0.05, "
            "min_class_recall: 0}");
}

TEST(BehaviourMetrics, LogLineHasEveryMetricAtFourDecimals) {
  EXPECT_EQ(format_behaviour(stats(), ", "),
            "recall 0.8000, precision agreement 0.6000, median IoU 0.9123, confidence MAE 0.0312");
  EXPECT_EQ(format_behaviour(stats(), " "),
            "recall 0.8000 precision agreement 0.6000 median IoU 0.9123 confidence MAE 0.0312");
}

TEST(BehaviourMetrics, ObjectivesAreHigherIsBetter) {
  EXPECT_EQ(objective_names(),
            (std::vector<std::string>{"recall", "precision_agreement", "median_iou", "confidence_mae", "f1"}));
  EXPECT_DOUBLE_EQ(*objective_of("recall", stats()), 0.8);
  EXPECT_DOUBLE_EQ(*objective_of("median_iou", stats()), 0.91234);
  EXPECT_DOUBLE_EQ(*objective_of("confidence_mae", stats()), -0.03125);
  EXPECT_DOUBLE_EQ(*objective_of("f1", stats()), 2 * 0.8 * 0.6 / 1.4);
  BehaviourStats none{};
  none.recall = 0;
  none.precision_agreement = 0;
  EXPECT_DOUBLE_EQ(*objective_of("f1", none), 0.0);
  EXPECT_FALSE(objective_of("map", stats()).has_value());
}

TEST(BehaviourMetrics, GateBoundsFollowTheBetterDirection) {
  Gate g;
  g.min_recall = 0.8;           // met exactly
  g.max_confidence_mae = 0.03;  // 0.03125 is above it
  const auto& table = behaviour_metrics();
  EXPECT_TRUE(table[0].meets(stats(), g));
  EXPECT_FALSE(table[3].meets(stats(), g));
  EXPECT_EQ(g.check(stats(), {}).summary(),
            "precision agreement 0.6000 < 0.9; confidence MAE 0.0312 > 0.03");
  const Gate read = Gate::from_yaml(YAML::Load("{max_confidence_mae: 0.2, min_median_iou: 0.5}"), KeyPath("g.yaml"));
  EXPECT_DOUBLE_EQ(read.max_confidence_mae, 0.2);
  EXPECT_DOUBLE_EQ(read.min_median_iou, 0.5);
  EXPECT_DOUBLE_EQ(read.min_recall, 0.95);
  ASSERT_THROWS_WITH(Gate::from_yaml(YAML::Load("{max_confidence_mae: 2}"), KeyPath("g.yaml")), ConfigError,
                     "g.yaml:1:22: max_confidence_mae: must be in [0, 1], got 2");
}

}  // namespace qat::metrics

namespace qat::metrics {

TEST(BehaviourMetrics, RareClassesAreTheLowestRecallsOrThoseBelowTheClassFloor) {
  BehaviourStats qat{}, ptq{};
  // Four classes: Coat has no teacher detections (its recall 1 is not a figure).
  qat.teacher_per_class = {40, 10, 0, 5};
  qat.recall_per_class = {0.975, 0.8, 1.0, 0.8};
  ptq.recall_per_class = {0.95, 0.6, 1.0, 0.4};
  const std::vector<std::string> names = {"Shirt", "Bag", "Coat", "Sandal"};
  // Lowest first, ties by class id; two asked for.
  EXPECT_EQ(format_rare_classes(qat, ptq, names, 0, 2),
            "Bag 0.8000 (PTQ 0.6000, 10 teacher detections), Sandal 0.8000 (PTQ 0.4000, 5 teacher detections)");
  // A floor names every class below it, however many.
  EXPECT_EQ(format_rare_classes(qat, ptq, names, 0.98, 1),
            "Bag 0.8000 (PTQ 0.6000, 10 teacher detections), Sandal 0.8000 (PTQ 0.4000, 5 teacher detections), "
            "Shirt 0.9750 (PTQ 0.9500, 40 teacher detections)");
  EXPECT_EQ(format_rare_classes(qat, ptq, names, 0.5, 3), "");
  EXPECT_EQ(format_rare_classes(BehaviourStats{}, ptq, {}, 0, 3), "");
}

}  // namespace qat::metrics
