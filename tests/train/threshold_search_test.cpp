#include "qat/train/threshold_search.h"

#include "support/test_support.h"

namespace qat::train {
namespace {

metrics::Detections one(float score, float x = 0) {
  return {at::tensor({x, 0.f, x + 10.f, 10.f}).reshape({1, 4}), at::tensor({score}), at::tensor(std::vector<int64_t>{0})};
}

// Teacher finds one object per image at 0.80; the quantized student scores the
// same boxes a little lower, image by image.
DetectionSet set_of(const std::vector<float>& scores, double floor) {
  DetectionSet s;
  s.score_floor = floor;
  for (float v : scores) s.images.push_back(one(v));
  return s;
}

}  // namespace

TEST(ThresholdSearch, TeacherThresholdWinsWhenItPasses) {
  const auto teacher = set_of({0.8f, 0.8f, 0.8f, 0.8f}, 0.5);
  const auto student = set_of({0.79f, 0.78f, 0.8f, 0.81f}, 0.5);
  metrics::Gate gate;
  const auto choice = search_threshold(teacher, 0.70, student, gate, {}, {"Bag"}, 0.5);
  ASSERT_TRUE(choice.found);
  EXPECT_DOUBLE_EQ(choice.threshold, 0.70);
  EXPECT_EQ(choice.table.size(), 1u);
}

TEST(ThresholdSearch, LowersTheThresholdJustEnough) {
  // Teacher scores 0.72-0.75; student scores 0.03 lower: at 0.70 it loses two of
  // the 20 teacher detections (recall 0.90); at 0.69 one (0.95, passes); at 0.68 none.
  std::vector<float> t, s;
  for (int i = 0; i < 20; ++i) {
    t.push_back(0.75f);
    s.push_back(0.75f - 0.03f);
  }
  s[0] = 0.689f;  // below 0.69
  s[1] = 0.695f;  // between 0.69 and 0.70
  const auto teacher = set_of(t, 0.5), student = set_of(s, 0.5);
  metrics::Gate gate;
  gate.max_confidence_mae = 0.1;
  gate.min_class_recall = 0.95;  // the verdicts name the class
  const auto choice = search_threshold(teacher, 0.70, student, gate, {0.60, 0.75, 0.01}, {"Bag"}, 0.5);
  ASSERT_TRUE(choice.found);
  EXPECT_DOUBLE_EQ(choice.threshold, 0.69);
  EXPECT_DOUBLE_EQ(choice.chosen.stats.recall, 0.95);
  EXPECT_DOUBLE_EQ(choice.table.front().stats.recall, 0.9);
  EXPECT_EQ(choice.table.front().verdict.summary(), "recall 0.9000 < 0.95; class 0 'Bag' recall 0.9000 (18/20) < 0.95");
  EXPECT_EQ(choice.table.size(), 16u);  // 0.70, then 0.60..0.75 without 0.70
}

TEST(ThresholdSearch, NothingPassesWhenTheStudentMissesEverything) {
  const auto teacher = set_of({0.9f, 0.9f}, 0.5);
  DetectionSet student;
  student.score_floor = 0.5;
  student.images.push_back(one(0.9f, 50));  // wrong place
  student.images.push_back(one(0.9f, 50));
  const auto choice = search_threshold(teacher, 0.70, student, metrics::Gate{}, {}, {"Bag"}, 0.5);
  EXPECT_FALSE(choice.found);
}

}  // namespace qat::train
