#include "qat/train/weight_ema.h"

#include <cmath>

#include "support/test_support.h"

namespace qat::train {
namespace {

// A weight and a BatchNormalization's running mean (a buffer: the statistics
// are the non-trainable inputs 3 and 4 of BatchNormalization nodes).
graph::Graph one_weight(float w, float stat) {
  graph::Graph g;
  g.set_initializer("conv.weight", at::full({2}, w), /*trainable=*/true);
  g.set_initializer("bn.scale", at::ones({1}), true);
  g.set_initializer("bn.bias", at::zeros({1}), true);
  g.set_initializer("bn.mean", at::full({1}, stat), /*trainable=*/false);
  g.set_initializer("bn.var", at::ones({1}), false);
  g.add_node({"bn", "BatchNormalization", {"x", "bn.scale", "bn.bias", "bn.mean", "bn.var"}, {"y"}, {}});
  return g;
}

}  // namespace

TEST(WeightEma, AveragesParametersAndStatisticsWithTheRampedDecay) {
  graph::Graph average = one_weight(0, 0);
  graph::Graph live = one_weight(1, 2);
  WeightEma ema(average, 0.5, 1.0);
  // decay(1) = 0.5 * (1 - e^-1): the average moves 1 - decay(1) of the way.
  const double d1 = 0.5 * (1 - std::exp(-1.0));
  EXPECT_DOUBLE_EQ(ema.next_decay(), d1);
  ema.update(live);
  EXPECT_NEAR(average.initializer("conv.weight")[0].item<float>(), 1 - d1, 1e-7);
  EXPECT_NEAR(average.initializer("bn.mean")[0].item<float>(), 2 * (1 - d1), 1e-7);
  // decay(2) = 0.5 * (1 - e^-2).
  const double d2 = 0.5 * (1 - std::exp(-2.0));
  ema.update(live);
  EXPECT_NEAR(average.initializer("conv.weight")[1].item<float>(), d2 * (1 - d1) + (1 - d2), 1e-7);
  EXPECT_EQ(ema.updates(), 2);
  EXPECT_TRUE(average.initializer("conv.weight").requires_grad());  // still a parameter
}

TEST(WeightEma, StateRestoresTheAverageAndTheUpdateCount) {
  graph::Graph a = one_weight(0, 0);
  WeightEma ema(a, 0.9, 10);
  ema.update(one_weight(3, 1));
  ema.update(one_weight(5, 1));
  const auto state = ema.state();

  graph::Graph b = one_weight(7, 7);
  WeightEma restored(b, 0.9, 10);
  restored.load_state(state);
  EXPECT_EQ(restored.updates(), 2);
  EXPECT_EQ(restored.next_decay(), ema.next_decay());
  EXPECT_TRUE(at::equal(b.initializer("conv.weight"), a.initializer("conv.weight")));
  EXPECT_TRUE(at::equal(b.initializer("bn.mean"), a.initializer("bn.mean")));

  auto missing = state;
  missing.erase("buffers/bn.mean");
  ASSERT_THROWS_WITH(restored.load_state(missing), Error, "EMA state has no 'buffers/bn.mean'");
}

TEST(WeightEma, RefusesADecayOutsideItsRange) {
  graph::Graph g = one_weight(0, 0);
  ASSERT_THROWS_WITH(WeightEma(g, 1.0, 10), Error, "EMA decay must be in [0, 1), got 1");
}

}  // namespace qat::train
