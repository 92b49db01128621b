// The launch variables and the collectives of qat::dist::Group: two ranks as two
// threads of this process on loopback (a real TCPStore and ProcessGroupGloo).
#include "qat/dist/process_group.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "dist/two_ranks.h"
#include "qat/dist/launcher.h"
#include "support/test_support.h"

namespace qat::dist {
namespace {

std::optional<LaunchEnv> env_of(const std::map<std::string, std::string>& vars) {
  return launch_env([&](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

TEST(LaunchEnv, NoWorldSizeOrOneIsOneProcess) {
  EXPECT_FALSE(env_of({}));
  EXPECT_FALSE(env_of({{"WORLD_SIZE", "1"}, {"RANK", "0"}}));
}

TEST(LaunchEnv, ReadsTheTorchrunVariables) {
  const auto e = env_of({{"WORLD_SIZE", "4"}, {"RANK", "3"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "node7"},
                         {"MASTER_PORT", "29400"}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->world_size, 4);
  EXPECT_EQ(e->rank, 3);
  EXPECT_EQ(e->local_rank, 1);
  EXPECT_EQ(e->master_addr, "node7");
  EXPECT_EQ(e->master_port, 29400);
  // LOCAL_RANK defaults to RANK.
  EXPECT_EQ(env_of({{"WORLD_SIZE", "2"}, {"RANK", "1"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}})->local_rank, 1);
}

TEST(LaunchEnv, BadValuesNameTheVariable) {
  ASSERT_THROWS_WITH(env_of({{"WORLD_SIZE", "2"}, {"RANK", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}}), Error,
                     "environment variable RANK='2': must be a whole number in [0, 1]");
  ASSERT_THROWS_WITH(env_of({{"WORLD_SIZE", "two"}}), Error,
                     "environment variable WORLD_SIZE='two': must be a whole number in [1, 65536]");
  ASSERT_THROWS_WITH(env_of({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_PORT", "1"}}), Error,
                     "WORLD_SIZE is set but MASTER_ADDR is not: a launcher (qat train --nproc, torchrun, srun) "
                     "sets RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT");
  ASSERT_THROWS_WITH(env_of({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "70000"}}),
                     Error, "environment variable MASTER_PORT='70000': must be a whole number in [1, 65535]");
}

TEST(Group, ReducesAcrossBucketsAsSumMinMaxAndMean) {
  on_two_ranks([](Group& g) {
    const float r = static_cast<float>(g.rank());
    // 5 Mi floats (20 MiB) do not fit one 16 MiB bucket: the second tensor goes in another.
    std::vector<at::Tensor> t{at::full({5 << 20}, r + 1), at::full({2, 3}, r * 10 - 4)};
    g.reduce(t, Reduce::sum, "a test");
    EXPECT_TRUE(at::equal(t[0], at::full({5 << 20}, 3.0f)));
    EXPECT_TRUE(at::equal(t[1], at::full({2, 3}, 2.0f)));  // -4 + 6
    at::Tensor lo = at::tensor({r, -r}), hi = lo.clone(), mean = at::tensor({r, 3.0f});
    g.reduce({lo}, Reduce::min, "a test");
    g.reduce({hi}, Reduce::max, "a test");
    g.reduce({mean}, Reduce::mean, "a test");
    EXPECT_TRUE(at::equal(lo, at::tensor({0.0f, -1.0f})));
    EXPECT_TRUE(at::equal(hi, at::tensor({1.0f, 0.0f})));
    EXPECT_TRUE(at::equal(mean, at::tensor({0.5f, 3.0f})));
    g.barrier("a test");
  });
}

TEST(Group, GathersRowsOfDifferentCountsInRankOrder) {
  on_two_ranks([](Group& g) {
    // Rank 0 sends 3 rows, rank 1 none: the counts differ, -0.0 and NaN arrive as sent.
    const at::Tensor mine = g.rank() == 0 ? at::tensor({1.5f, -0.0f, NAN, 4.0f, 5.0f, 6.0f}).view({3, 2})
                                          : at::empty({0, 2});
    const auto all = g.all_gather(mine, "a test");
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].sizes(), at::IntArrayRef({3, 2}));
    EXPECT_EQ(all[1].sizes(), at::IntArrayRef({0, 2}));
    EXPECT_TRUE(at::equal(all[0].view(at::kInt), at::tensor({1.5f, -0.0f, NAN, 4.0f, 5.0f, 6.0f}).view(at::kInt).view({3, 2})));
    // Whole numbers keep their type; rank 1 sends more rows than rank 0.
    const auto ids = g.all_gather(at::arange(g.rank() * 2 + 1, at::kLong) + 10 * g.rank(), "a test");
    EXPECT_TRUE(at::equal(ids[0], at::tensor({0}, at::kLong)));
    EXPECT_TRUE(at::equal(ids[1], at::tensor({10, 11, 12}, at::kLong)));
  });
}

TEST(Group, RankZeroPostsWhatTheOthersAwait) {
  on_two_ranks([](Group& g) {
    if (g.writes()) {
      g.post("k", "3");
    } else {
      EXPECT_EQ(g.await("k"), "3");
    }
  });
}

TEST(Group, NcclIsRefusedOnThisBuild) {
  DistributedSection options;
  options.backend = "nccl";
  ASSERT_THROWS_WITH(Group(LaunchEnv{0, 2, 0, "127.0.0.1", free_loopback_port()}, options), Error,
                     "distributed.backend: nccl needs a CUDA build of libtorch; this one is CPU-only (use gloo)");
}

TEST(Group, AMissingPeerFailsTheRendezvousNamingIt) {
  DistributedSection options;
  options.timeout_s = 1;
  try {
    Group g(LaunchEnv{0, 2, 0, "127.0.0.1", free_loopback_port()}, options);
    FAIL() << "the rendezvous succeeded alone";
  } catch (const DistributedError& e) {
    EXPECT_EQ(e.exit_code(), kExitPeerLost);
    const std::string prefix =
        "rank 0 of 2: rank 1 is gone or did not answer during the rendezvous (distributed.timeout_s 1): ";
    EXPECT_EQ(std::string(e.what()).substr(0, prefix.size()), prefix);
  }
}

}  // namespace
}  // namespace qat::dist
