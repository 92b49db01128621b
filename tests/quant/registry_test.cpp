#include "qat/quant/registry.h"

#include "support/test_support.h"

namespace qat::quant {

TEST(ObserverRegistry, ListsTheBuiltIns) {
  EXPECT_EQ(observer_registry().names(),
            (std::vector<std::string>{"ema_minmax", "entropy", "minmax", "mse", "percentile"}));
  for (const auto& name : observer_registry().names()) {
    const auto obs = observer_registry().get(name)(QuantSpec{});
    EXPECT_EQ(obs->name(), name);
    EXPECT_FALSE(obs->ready());
    obs->observe(at::tensor({-1.0f, 0.5f, 2.0f}));
    EXPECT_TRUE(obs->ready());
    EXPECT_GT(obs->compute(QuantSpec{}).scale.item<float>(), 0.0f);
  }
}

TEST(ObserverRegistry, UnknownNameSuggestsAKnownOne) {
  ASSERT_THROWS_WITH(observer_registry().get("minmx"), Error, "unknown observer 'minmx'; did you mean 'minmax'?");
}

}  // namespace qat::quant
