#include "qat/data/scene_composer.h"

#include "qat/data/dataset.h"
#include "qat/data/fashion_mnist.h"
#include "support/test_support.h"

namespace qat::data {
namespace {

struct Items {
  at::Tensor images;
  std::vector<std::vector<int64_t>> pool;
};

// The first 2000 Fashion-MNIST training items, pooled by class.
const Items& items() {
  static const Items it = [] {
    const auto fm = load_fashion_mnist(kFashionMnistDir, "train");
    Items out{fm.images.slice(0, 0, 2000).contiguous(), std::vector<std::vector<int64_t>>(10)};
    for (int64_t i = 0; i < 2000; ++i) out.pool[fm.labels[i].item<uint8_t>()].push_back(i);
    return out;
  }();
  return it;
}

}  // namespace

TEST(FashionMnist, ReadsDebiansFiles) {
  const auto fm = load_fashion_mnist(kFashionMnistDir, "t10k");
  EXPECT_EQ(fm.images.sizes(), (std::vector<int64_t>{10000, 28, 28}));
  EXPECT_EQ(fm.labels.max().item<uint8_t>(), 9);
  EXPECT_EQ(fashion_mnist_classes()[8], "Bag");
}

TEST(FashionMnist, BadMagicIsNamed) {
  testing::TempDir dir;
  const auto path = dir.write("bad.idx", std::string("\x00\x00\x08\x04rest", 8));
  ASSERT_THROWS_WITH(read_idx(path), IoError,
                     path + ": not an IDX file of uint8 images or labels (magic 2052, expected 2051 or 2049)");
}

TEST(SceneComposer, BoxesAreInsideAndTightAroundEachItem) {
  SceneOptions o;
  o.max_objects = 5;
  SceneRng rng(11);
  int64_t objects = 0;
  for (int n = 0; n < 30; ++n) {
    const Scene s = compose_scene(o, items().images, items().pool, rng);
    ASSERT_EQ(s.boxes.size(0), static_cast<int64_t>(s.alphas.size()));
    for (int64_t k = 0; k < s.boxes.size(0); ++k, ++objects) {
      const auto b = s.boxes[k];
      const int64_t x1 = b[0].item<int64_t>(), y1 = b[1].item<int64_t>(), x2 = b[2].item<int64_t>(), y2 = b[3].item<int64_t>();
      ASSERT_GE(x1, 0);
      ASSERT_GE(y1, 0);
      ASSERT_LE(x2, o.size);
      ASSERT_LE(y2, o.size);
      const auto visible = s.alphas[k] > 0;
      // Nothing visible outside the box...
      const auto inside = visible.slice(0, y1, y2).slice(1, x1, x2);
      EXPECT_EQ(visible.sum().item<int64_t>(), inside.sum().item<int64_t>());
      // ...and every edge row and column of the box touches the item.
      EXPECT_TRUE(inside.select(0, 0).any().item<bool>());
      EXPECT_TRUE(inside.select(0, y2 - y1 - 1).any().item<bool>());
      EXPECT_TRUE(inside.select(1, 0).any().item<bool>());
      EXPECT_TRUE(inside.select(1, x2 - x1 - 1).any().item<bool>());
    }
  }
  EXPECT_GT(objects, 40);
}

TEST(SceneComposer, SameSeedSameScene) {
  SceneOptions o;
  SceneRng a(5), b(5), c(6);
  const Scene sa = compose_scene(o, items().images, items().pool, a);
  const Scene sb = compose_scene(o, items().images, items().pool, b);
  const Scene sc = compose_scene(o, items().images, items().pool, c);
  EXPECT_TRUE(at::equal(sa.image, sb.image));
  EXPECT_TRUE(at::equal(sa.boxes, sb.boxes));
  EXPECT_FALSE(at::equal(sa.image, sc.image));
}

TEST(SceneComposer, ZeroWeightClassNeverAppears) {
  SceneOptions o;
  o.class_weights = {1, 1, 1, 0, 1, 1, 1, 1, 1, 1};
  o.min_objects = 3;
  SceneRng rng(2);
  for (int n = 0; n < 40; ++n) {
    const Scene s = compose_scene(o, items().images, items().pool, rng);
    EXPECT_FALSE((s.labels == 3).any().item<bool>());
  }
}

TEST(SceneComposer, OptionsAreValidated) {
  SceneOptions o;
  o.scale_max = 7.0;
  ASSERT_THROWS_WITH(o.validate(), Error, "fmnist-scenes: items up to 196 px do not fit in 160 px images");
  o = SceneOptions();
  o.min_objects = 5;
  ASSERT_THROWS_WITH(o.validate(), Error, "fmnist-scenes: objects per image must satisfy 0 <= min <= max, got 5-4");
  o = SceneOptions();
  o.class_weights[8] = -0.5;
  ASSERT_THROWS_WITH(o.validate(), Error, "fmnist-scenes: class 8 'Bag' has a negative weight (-0.5)");
}

TEST(SceneComposer, WritesAValidDatasetDeterministically) {
  testing::TempDir dir;
  SceneOptions o;
  o.images = 20;
  o.size = 64;
  o.scale_max = 2.0;
  compose_fmnist_scenes(o, dir.file("a.h5"));
  compose_fmnist_scenes(o, dir.file("b.h5"));
  const DetectionDataset a(dir.file("a.h5"), "train"), b(dir.file("b.h5"), "train");
  const DetectionDataset val(dir.file("a.h5"), "val");
  EXPECT_EQ(a.size(), 16);
  EXPECT_EQ(val.size(), 4);
  EXPECT_EQ(a.num_classes(), 10);
  for (int64_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(at::equal(a.image(i), b.image(i)));
    EXPECT_TRUE(at::equal(a.boxes(i), b.boxes(i)));
  }
}

}  // namespace qat::data
