// BadBatches: non-finite losses and gradients skipped within a budget, then an Error;
// on two ranks every rank skips the same batches and fails with the same message.
#include "qat/train/bad_batches.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "dist/two_ranks.h"
#include "qat/core/error.h"
#include "qat/dist/gradient_sync.h"
#include "qat/dist/process_group.h"
#include "support/test_support.h"

namespace qat::train {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(BadBatches, OneProcessSkipsWithinTheBudgetThenStops) {
  BadBatches none("fp32", 0, 0.5);
  EXPECT_TRUE(none.loss_ok(1.0, 0, 0));
  ASSERT_THROWS_WITH(none.loss_ok(kNan, 0, 2), Error,
                     "fp32 epoch 1 iteration 3: the loss is nan; lower fp32.lr (0.5) or check the data");
  BadBatches one("qat", 1, 0.001);
  EXPECT_FALSE(one.loss_ok(-kInf, 1, 0));
  EXPECT_EQ(one.skipped(), 1);
  ASSERT_THROWS_WITH(one.loss_ok(kInf, 1, 4), Error,
                     "qat epoch 2 iteration 5: the loss is inf; stopping after 1 skipped batches; lower qat.lr "
                     "(0.001) or check the data");
  at::Tensor w = at::zeros({2}).requires_grad_();
  w.mutable_grad() = at::tensor({1.0f, NAN});
  BadBatches grads("fp32", 1, 0.5);
  EXPECT_FALSE(grads.gradients_ok({{"w", w}}, 0, 0));
  ASSERT_THROWS_WITH(grads.gradients_ok({{"w", w}}, 0, 1), Error,
                     "fp32 epoch 1 iteration 2: the gradient of 'w' is not finite; stopping after 1 skipped "
                     "batches; lower fp32.lr (0.5) or check the data");
}

// What one rank saw of a little training loop on two ranks: the iterations it skipped,
// where it stopped, its message and its final weights.
struct RankRun {
  std::vector<int64_t> skipped;
  int64_t iterations = 0;
  std::string error;
  at::Tensor weights;
};

// Six iterations of SGD on w, gradients averaged by GradientSync (c10d's Reducer), as
// the trainers step: the loss is checked (loss_ok) before backward. `loss_of(rank, it)`
// is added to rank `rank`'s loss at iteration `it` (NaN or an infinity make it non-finite).
RankRun run(dist::Group& g, int max_bad_batches, double (*loss_of)(int64_t, int64_t)) {
  RankRun out;
  at::Tensor w = at::ones({3}).requires_grad_();
  dist::GradientSync sync(g, {{"w", w}});
  BadBatches bad("fp32", max_bad_batches, 0.1, &g);
  try {
    for (int64_t it = 0; it < 6; ++it, out.iterations = it) {
      const at::Tensor x = at::tensor({1.0f, 2.0f, 3.0f}) * static_cast<float>(g.rank() + it + 1);
      const at::Tensor loss = (w * x).sum() + loss_of(g.rank(), it);
      w.mutable_grad() = at::Tensor();
      if (!bad.loss_ok(loss.item<double>(), 0, it)) {
        out.skipped.push_back(it);
        continue;
      }
      sync.backward(loss);
      if (!bad.gradients_ok({{"w", w}}, 0, it)) continue;
      at::NoGradGuard no_grad;
      w.sub_(w.grad() * 0.1);
    }
  } catch (const Error& e) {
    out.error = e.what();
  }
  EXPECT_EQ(bad.skipped(), static_cast<int64_t>(out.skipped.size()));
  out.weights = w.detach().clone();
  return out;
}

RankRun ranks_run[2];

void on_two_ranks_run(int max_bad_batches, double (*loss_of)(int64_t, int64_t)) {
  dist::on_two_ranks([&](dist::Group& g) { ranks_run[g.rank()] = run(g, max_bad_batches, loss_of); });
}

// Only rank 1's batch of iteration 3 is bad: both ranks skip it (rank 0's loss was
// finite), step the other five together and end with the same weights.
TEST(BadBatches, TwoRanksSkipTheBatchOneRankFoundBad) {
  on_two_ranks_run(2, [](int64_t rank, int64_t it) { return rank == 1 && it == 2 ? kNan : 0.0; });
  for (const RankRun& r : ranks_run) {
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.iterations, 6);
    EXPECT_EQ(r.skipped, std::vector<int64_t>{2});
  }
  EXPECT_TRUE(at::equal(ranks_run[0].weights, ranks_run[1].weights));
  EXPECT_FALSE(at::equal(ranks_run[0].weights, at::ones({3})));
}

// The budget spent: both ranks stop at the same batch with the same message naming the
// rank(s) whose loss was not finite.
TEST(BadBatches, TwoRanksStopTogetherNamingTheBadRanks) {
  on_two_ranks_run(1, [](int64_t rank, int64_t it) { return rank == 1 && (it == 1 || it == 3) ? kNan : 0.0; });
  for (const RankRun& r : ranks_run) {
    EXPECT_EQ(r.skipped, std::vector<int64_t>{1});
    EXPECT_EQ(r.iterations, 3);
    EXPECT_EQ(r.error,
              "fp32 epoch 1 iteration 4: the loss is nan on rank 1; stopping after 1 skipped batches; lower fp32.lr "
              "(0.1) or check the data");
  }
  // Rank 0's first batch, then both ranks' fifth.
  on_two_ranks_run(1, [](int64_t rank, int64_t it) {
    if (it == 4) return rank == 0 ? kInf : kNan;
    return rank == 0 && it == 0 ? -kInf : 0.0;
  });
  for (const RankRun& r : ranks_run) {
    EXPECT_EQ(r.skipped, std::vector<int64_t>{0});
    EXPECT_EQ(r.error,
              "fp32 epoch 1 iteration 5: the loss is not finite on ranks 0 (inf), 1 (nan); stopping after 1 skipped "
              "batches; lower fp32.lr (0.1) or check the data");
  }
}

// A non-finite gradient is checked after the ranks' mean: one rank's inf is every
// rank's, so both skip the step without agreeing first (the losses are finite).
TEST(BadBatches, TwoRanksSkipANonFiniteMeanGradient) {
  dist::on_two_ranks([&](dist::Group& g) {
    at::Tensor w = at::tensor({0.0f, 1.0f}).requires_grad_();
    dist::GradientSync sync(g, {{"w", w}});
    BadBatches bad("qat", 1, 0.1, &g);
    // Rank 1: sqrt(0) is finite, its derivative is not.
    const at::Tensor loss = g.rank() == 1 ? at::sqrt(w).sum() : w.sum();
    EXPECT_TRUE(bad.loss_ok(loss.item<double>(), 0, 0));
    sync.backward(loss);
    EXPECT_FALSE(bad.gradients_ok({{"w", w}}, 0, 0));
    EXPECT_EQ(bad.skipped(), 1);
  });
}

// Budget 0: no collective; the rank with the bad loss stops naming itself, and its peer
// fails at the next collective (the gradient all-reduce) naming it.
TEST(BadBatches, TwoRanksWithoutABudgetBothFailNamingTheRank) {
  on_two_ranks_run(0, [](int64_t rank, int64_t it) { return rank == 1 && it == 2 ? kNan : 0.0; });
  EXPECT_EQ(ranks_run[1].error,
            "fp32 epoch 1 iteration 3: the loss is nan on rank 1; lower fp32.lr (0.1) or check the data");
  EXPECT_NE(ranks_run[0].error.find("rank 1 is gone or did not answer during the gradient all-reduce"),
            std::string::npos)
      << ranks_run[0].error;
  for (const RankRun& r : ranks_run) EXPECT_EQ(r.iterations, 2);
}

}  // namespace
}  // namespace qat::train
