// GradientSync: c10d's Reducer averaging gradients over two ranks during backward.
#include "qat/dist/gradient_sync.h"

#include <gtest/gtest.h>

#include "dist/two_ranks.h"

namespace qat::dist {
namespace {

TEST(GradientSync, BackwardLeavesTheMeanGradientOnEveryRank) {
  on_two_ranks([](Group& g) {
    const float r = static_cast<float>(g.rank());
    // `big` (2 MiB) fills more than the 1 MiB first bucket: the gradients travel in two buckets.
    at::Tensor w = at::zeros({3}).requires_grad_(), big = at::zeros({512 << 10}).requires_grad_();
    at::Tensor only_rank0 = at::zeros({2}).requires_grad_(), unused = at::ones({4}).requires_grad_();
    at::Tensor frozen = at::ones({1});  // no requires_grad: left out
    GradientSync sync(g, {{"w", w}, {"big", big}, {"only_rank0", only_rank0}, {"unused", unused}, {"frozen", frozen}});
    for (int step = 0; step < 2; ++step) {  // a second step reuses the buckets
      for (auto* p : {&w, &big, &only_rank0}) p->mutable_grad() = at::Tensor();
      at::Tensor loss = (w * at::tensor({1.0f, 2.0f, 3.0f}) * (r + 1)).sum() + big.sum() * (r * 4);
      if (g.rank() == 0) loss = loss + (only_rank0 * 6).sum();
      sync.backward(loss);
      // Rank 0 saw gradient (1,2,3), rank 1 (2,4,6): the mean is 1.5x.
      EXPECT_TRUE(at::equal(w.grad(), at::tensor({1.5f, 3.0f, 4.5f})));
      EXPECT_TRUE(at::equal(big.grad(), at::full({512 << 10}, 2.0f)));
      EXPECT_TRUE(at::equal(only_rank0.grad(), at::full({2}, 3.0f)));
      EXPECT_TRUE(at::equal(unused.grad(), at::zeros({4})));
      EXPECT_FALSE(frozen.grad().defined());
    }
  });
}

}  // namespace
}  // namespace qat::dist
