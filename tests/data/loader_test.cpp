#include "qat/data/loader.h"

#include <set>

#include "qat/data/scene_composer.h"
#include "support/test_support.h"

namespace qat::data {
namespace {

const std::string& dataset_path() {
  static testing::TempDir dir;
  static const std::string path = [] {
    SceneOptions o;
    o.images = 24;
    o.size = 64;
    o.scale_max = 2.0;
    compose_fmnist_scenes(o, dir.file("loader.h5"));
    return dir.file("loader.h5");
  }();
  return path;
}

// Batches of 4 images letterboxed to 64 px, the scenes' own size.
LoaderOptions batches_of_four() {
  LoaderOptions o;
  o.batch_size = 4;
  o.image_size = 64;
  return o;
}

}  // namespace

TEST(DataLoader, EveryImageOnceEpochOrderBySeedAndEpoch) {
  const DetectionDataset ds(dataset_path(), "train");  // 19 images
  LoaderOptions o = batches_of_four();
  o.seed = 3;
  DataLoader loader(ds, o);
  EXPECT_EQ(loader.batches_per_epoch(), 5);
  loader.begin_epoch(0);
  std::multiset<int64_t> seen;
  std::vector<int64_t> first_order;
  int batches = 0;
  while (auto b = loader.next()) {
    ++batches;
    EXPECT_EQ(b->images.size(0), static_cast<int64_t>(b->indices.size()));
    for (int64_t i : b->indices) {
      seen.insert(i);
      first_order.push_back(i);
    }
  }
  EXPECT_EQ(batches, 5);
  EXPECT_EQ(seen.size(), 19u);
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 19u);
  EXPECT_EQ(loader.order(0), first_order);
  EXPECT_EQ(DataLoader(ds, o).order(0), first_order);
  EXPECT_NE(loader.order(1), first_order);
}

// Data parallel: rank r of w reads positions r, r + w, ... of the one order; with
// drop_last each rank reads 19 / 2 = 9 images (the 19th is nobody's), without it all.
TEST(DataLoader, ShardsTakeEveryWthImageOfTheSameOrder) {
  const DetectionDataset ds(dataset_path(), "train");  // 19 images
  LoaderOptions o = batches_of_four();
  o.seed = 3;
  const std::vector<int64_t> whole = DataLoader(ds, o).order(2);
  for (const bool drop_last : {true, false}) {
    o.drop_last = drop_last;
    std::vector<int64_t> joined(whole.size(), -1);
    for (int64_t r = 0; r < 2; ++r) {
      o.shard_rank = r;
      o.shard_count = 2;
      const DataLoader shard(ds, o);
      const std::vector<int64_t> part = shard.order(2);
      EXPECT_EQ(shard.images(), drop_last ? 9 : 10 - r);
      EXPECT_EQ(shard.batches_per_epoch(), drop_last ? 2 : 3);
      ASSERT_EQ(static_cast<int64_t>(part.size()), shard.images());
      for (size_t k = 0; k < part.size(); ++k) joined[static_cast<size_t>(r) + 2 * k] = part[k];
    }
    if (drop_last) {
      EXPECT_EQ(joined.back(), -1);
      joined.back() = whole.back();
    }
    EXPECT_EQ(joined, whole);
  }
  o.shard_rank = 2;
  ASSERT_THROWS_WITH(DataLoader(ds, o), Error, "shard 2 of 2 does not exist");
}

TEST(DataLoader, DropLastAndTargetsLayout) {
  const DetectionDataset ds(dataset_path(), "train");
  LoaderOptions o = batches_of_four();
  o.drop_last = true;
  o.shuffle = false;
  DataLoader loader(ds, o);
  EXPECT_EQ(loader.batches_per_epoch(), 4);
  loader.begin_epoch(0);
  const auto b = loader.next();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->images.sizes(), (std::vector<int64_t>{4, 3, 64, 64}));
  int64_t expected_rows = 0;
  for (int64_t i = 0; i < 4; ++i) expected_rows += ds.boxes(i).size(0);
  ASSERT_EQ(b->targets.size(0), expected_rows);
  // Row 0 belongs to image 0 with its label and box unchanged (no letterbox or flip needed).
  EXPECT_EQ(b->targets[0][0].item<float>(), 0.0f);
  EXPECT_EQ(b->targets[0][1].item<float>(), static_cast<float>(ds.labels(0)[0].item<int64_t>()));
  EXPECT_TRUE(at::equal(b->targets[0].slice(0, 2, 6), ds.boxes(0)[0]));
}

// A CUDA build places batches on the model's device; the meta device (shapes, no data)
// shows on this CPU build that both tensors go there.
TEST(DataLoader, BatchesArePlacedOnTheOptionsDevice) {
  const DetectionDataset ds(dataset_path(), "train");
  LoaderOptions o = batches_of_four();
  o.shuffle = false;
  o.device = at::kMeta;
  DataLoader loader(ds, o);
  loader.begin_epoch(0);
  const auto b = loader.next();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->images.device(), at::Device(at::kMeta));
  EXPECT_EQ(b->targets.device(), at::Device(at::kMeta));
  EXPECT_EQ(b->images.sizes(), (std::vector<int64_t>{4, 3, 64, 64}));
}

TEST(DataLoader, LimitUsesTheFirstImagesOnly) {
  const DetectionDataset ds(dataset_path(), "train");  // 19 images
  LoaderOptions o = batches_of_four();
  o.limit = 6;
  EXPECT_EQ(DataLoader(ds, o).batches_per_epoch(), 2);
  EXPECT_EQ(DataLoader(ds, o).order(0).size(), 6u);
  o.limit = 100;  // more than there are: all of them
  EXPECT_EQ(DataLoader(ds, o).batches_per_epoch(), 5);
  o.limit = -1;
  ASSERT_THROWS_WITH(DataLoader(ds, o), Error, "limit must not be negative, got -1");
}

TEST(DataLoader, FlipsAreDeterministicPerImage) {
  const DetectionDataset ds(dataset_path(), "train");
  LoaderOptions o;
  o.image_size = 64;
  o.hflip = 0.5;
  DataLoader a(ds, o), b(ds, o);
  const auto ba = a.make_batch({0, 1, 2, 3, 4, 5}, 2);
  const auto bb = b.make_batch({0, 1, 2, 3, 4, 5}, 2);
  EXPECT_TRUE(at::equal(ba.images, bb.images));
  const auto plain = DataLoader(ds, [&] { auto p = o; p.hflip = 0; return p; }()).make_batch({0, 1, 2, 3, 4, 5}, 2);
  EXPECT_FALSE(at::equal(ba.images, plain.images));  // some of six images flipped
}

TEST(DataLoader, WorkerErrorSurfacesFromNext) {
  const DetectionDataset ds(dataset_path(), "train");
  LoaderOptions o;
  o.image_size = 0;  // letterboxing to 0 px fails inside the worker
  DataLoader loader(ds, o);
  loader.begin_epoch(0);
  EXPECT_THROW(
      {
        while (loader.next()) {
        }
      },
      std::exception);
}

TEST(DataLoader, StoppingMidEpochIsClean) {
  const DetectionDataset ds(dataset_path(), "train");
  LoaderOptions o;
  o.batch_size = 2;
  o.image_size = 64;
  o.prefetch = 1;
  DataLoader loader(ds, o);
  loader.begin_epoch(0);
  ASSERT_TRUE(loader.next().has_value());
  loader.begin_epoch(1);  // abandons epoch 0
  int n = 0;
  while (loader.next()) ++n;
  EXPECT_EQ(n, 10);
}

}  // namespace qat::data
