#include "qat/train/qat_trainer.h"

#include "support/test_support.h"

namespace qat::train {
namespace {

// `index` empty: the PTQ starting point.
QatEpoch epoch(std::optional<int64_t> index, bool passed, double objective, double mae, double loss) {
  QatEpoch e;
  e.epoch = index;
  e.passed = passed;
  e.objective = objective;
  e.at_threshold.confidence_mae = mae;
  e.loss = loss;
  return e;
}

}  // namespace

// The PTQ starting point is the record without an epoch; QAT's first epoch is 0.
TEST(SelectEpoch, ThePtqStartingPointIsTheRecordWithoutAnEpoch) {
  EXPECT_TRUE(QatEpoch{}.is_ptq());
  EXPECT_TRUE(epoch(std::nullopt, true, 0.97, 0.01, 0).is_ptq());
  EXPECT_FALSE(epoch(0, true, 0.97, 0.01, 0).is_ptq());
  // The PTQ model has the lowest loss here (it was never trained: 0), yet the lowest-loss
  // epoch is QAT's epoch 0 only.
  QatResult r;
  r.history = {epoch(std::nullopt, false, 0, 0, 0), epoch(0, false, 0, 0, 0.4), epoch(1, false, 0, 0, 0.5)};
  select_epoch(r);
  EXPECT_EQ(r.lowest_loss, std::optional<size_t>(1));
}

TEST(SelectEpoch, HighestObjectiveAmongPassingEpochsNeverTheLowestLoss) {
  QatResult r;
  r.history = {epoch(std::nullopt, true, 0.970, 0.010, 0),   // PTQ
               epoch(0, true, 0.980, 0.009, 0.5),
               epoch(1, false, 0.990, 0.008, 0.3),  // best objective but fails the gate
               epoch(2, true, 0.975, 0.007, 0.2)};  // lowest loss
  select_epoch(r);
  EXPECT_EQ(r.selected, std::optional<size_t>(1));
  EXPECT_EQ(r.lowest_loss, std::optional<size_t>(3));
}

TEST(SelectEpoch, ATieGoesToTheLowerConfidenceErrorThenTheEarlierEpoch) {
  QatResult r;
  r.history = {epoch(std::nullopt, true, 0.9865, 0.0090, 0), epoch(0, true, 0.9865, 0.0074, 0.2),
               epoch(1, true, 0.9865, 0.0074, 0.1)};
  select_epoch(r);
  EXPECT_EQ(r.selected, std::optional<size_t>(1));
}

TEST(SelectEpoch, NothingPassingSelectsNothing) {
  QatResult r;
  r.history = {epoch(std::nullopt, false, 0, 0, 0), epoch(0, false, 0, 0, 0.4)};
  select_epoch(r);
  EXPECT_EQ(r.selected, std::nullopt);
  EXPECT_EQ(r.lowest_loss, std::optional<size_t>(1));
}

TEST(SelectEpoch, APassingPtqModelAloneIsSelectedWithNoLowestLossEpoch) {
  QatResult r;
  r.history = {epoch(std::nullopt, true, 0.97, 0.01, 0)};
  r.selected = 5;  // stale values from an earlier call are cleared
  r.lowest_loss = 5;
  select_epoch(r);
  EXPECT_EQ(r.selected, std::optional<size_t>(0));
  EXPECT_EQ(r.lowest_loss, std::nullopt);
}

}  // namespace qat::train
