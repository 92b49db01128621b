#include "qat/train/calibration_set.h"

#include "qat/core/error.h"
#include "qat/data/dataset.h"
#include "qat/data/loader.h"
#include "support/test_support.h"

namespace qat::train {
namespace {

// Eight hand-made images over three classes: 0 is common, 1 and 2 rare, image 4 is background.
const std::vector<std::vector<int64_t>> kLabels = {{0, 0}, {0}, {1}, {0, 2}, {}, {0, 1}, {2}, {0}};
// A seeded order, as DataLoader::order(0) gives one.
const std::vector<int64_t> kOrder = {5, 3, 7, 0, 6, 2, 1, 4};
const std::vector<double> kEven = {1, 1, 1};

// The file's classes by name, two images: image 0 holds a Bag and a Shirt, image 1 a Shirt.
std::string write_two_images(const testing::TempDir& dir) {
  data::DatasetWriter w(dir.file("two.h5"), {"Shirt", "Bag"}, "hand-made", 0);
  w.begin_split("train", 2, 32, 32);
  const at::Tensor image = at::zeros({3, 32, 32}, at::kByte);
  w.write(0, image, at::tensor({0.f, 0.f, 8.f, 8.f, 10.f, 10.f, 20.f, 20.f}).reshape({2, 4}),
          at::tensor({1, 0}, at::kInt));
  w.write(1, image, at::tensor({0.f, 0.f, 8.f, 8.f}).reshape({1, 4}), at::tensor({0}, at::kInt));
  w.end_split();
  w.finish();
  return dir.file("two.h5");
}

}  // namespace

TEST(CalibrationSet, SequentialIsFileOrderAndRandomIsTheSeededOrder) {
  EXPECT_EQ(pick_calibration_images(kLabels, kOrder, "sequential", kEven, 3), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(pick_calibration_images(kLabels, kOrder, "random", kEven, 3), (std::vector<int64_t>{5, 3, 7}));
  EXPECT_EQ(pick_calibration_images(kLabels, kOrder, "random", kEven, 100), kOrder);
}

TEST(CalibrationSet, ClassBalancedTakesTheRarestClassFirst) {
  // 5 (objects 1,1,0), then class 2 is the rarest: 3 (2,1,1); ties of 1 and 2 go to the
  // lower id: 2 (2,2,1); then class 2: 6 (2,2,2).
  EXPECT_EQ(pick_calibration_images(kLabels, kOrder, "class_balanced", kEven, 4),
            (std::vector<int64_t>{5, 3, 2, 6}));
  // Classes 1 and 2 run out, class 0 takes 7, 0, 1; the background image comes last.
  EXPECT_EQ(pick_calibration_images(kLabels, kOrder, "class_balanced", kEven, 100),
            (std::vector<int64_t>{5, 3, 2, 6, 7, 0, 1, 4}));
}

TEST(CalibrationSet, OversampleWeighsAClassesShare) {
  // Class 2 at 3: after 5 and 3 its 1 object / 3 is below class 1's 1 / 1, so 6 comes before 2.
  EXPECT_EQ(pick_calibration_images(kLabels, kOrder, "class_balanced", {1, 1, 3}, 3),
            (std::vector<int64_t>{5, 3, 6}));
  EXPECT_EQ(pick_calibration_images(kLabels, kOrder, "class_balanced", kEven, 3),
            (std::vector<int64_t>{5, 3, 2}));
}

TEST(CalibrationSet, OversampleNamesClassesByNameOrId) {
  const std::vector<std::string> names = {"Shirt", "Bag", "Coat"};
  EXPECT_EQ(oversample_weights({{"Bag", 10}, {"2", 4}}, names), (std::vector<double>{1, 10, 4}));
  ASSERT_THROWS_WITH(oversample_weights({{"Sock", 2}}, names), Error,
                     "quant.calibration.oversample: 'Sock' is not a class of the dataset (Shirt, Bag, Coat) "
                     "nor a class id below 3");
  ASSERT_THROWS_WITH(oversample_weights({{"3", 2}}, names), Error,
                     "quant.calibration.oversample: '3' is not a class of the dataset (Shirt, Bag, Coat) "
                     "nor a class id below 3");
}

TEST(CalibrationSet, SelectRoundsUpToWholeBatchesAndCountsObjectsPerClass) {
  testing::TempDir dir;
  const data::DetectionDataset train(write_two_images(dir), "train");
  data::LoaderOptions o;
  o.shuffle = false;
  o.image_size = 32;
  const data::DataLoader loader(train, o);
  QuantSection q;
  q.calibration_images = 1;
  q.calibration_sampling = "class_balanced";
  q.calibration_oversample = {{"Bag", 2}};
  const CalibrationSet one = select_calibration(train, q, loader, 1);
  EXPECT_EQ(one.images, (std::vector<int64_t>{0}));  // Shirt (id 0) first at 0 objects; image 0 holds it first
  EXPECT_EQ(one.class_objects, (std::vector<int64_t>{1, 1}));
  const CalibrationSet both = select_calibration(train, q, loader, 2);  // 1 image rounded up to a batch of 2
  EXPECT_EQ(both.images, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(both.class_objects, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(both.class_names, (std::vector<std::string>{"Shirt", "Bag"}));
  EXPECT_EQ(both.sampling, "class_balanced");
}

}  // namespace qat::train
