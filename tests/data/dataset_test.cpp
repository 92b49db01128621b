#include "qat/data/dataset.h"

#include "support/test_support.h"

namespace qat::data {
namespace {

// A valid 2-image, 3-object split written with the raw h5 layer, then broken
// one field at a time by `mutate`.
std::string write_raw(const testing::TempDir& dir, const std::function<void(h5::File&)>& mutate = nullptr,
                      bool with_defaults = true) {
  const auto path = dir.file("d.h5");
  h5::File f = h5::File::create(path);
  h5::set_attribute(f, "/", "class_names", std::vector<std::string>{"a", "b"});
  if (with_defaults) {
    h5::write_tensor(f, "/train/images", at::zeros({2, 3, 8, 10}, at::kByte));
    h5::write_tensor(f, "/train/boxes", at::tensor({0.f, 0.f, 4.f, 4.f, 1.f, 1.f, 10.f, 8.f, 2.f, 2.f, 3.f, 3.f}).reshape({3, 4}));
    h5::write_tensor(f, "/train/labels", at::tensor({0, 1, 1}, at::kInt));
    h5::write_tensor(f, "/train/offsets", at::tensor(std::vector<int64_t>{0, 1, 3}));
  }
  if (mutate) mutate(f);
  return path;
}

}  // namespace

TEST(DetectionDataset, ReadsAValidSplit) {
  testing::TempDir dir;
  const DetectionDataset ds(write_raw(dir), "train");
  EXPECT_EQ(ds.size(), 2);
  EXPECT_EQ(ds.height(), 8);
  EXPECT_EQ(ds.width(), 10);
  EXPECT_EQ(ds.class_names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ds.boxes(1).size(0), 2);
  EXPECT_TRUE(at::equal(ds.labels(1), at::tensor(std::vector<int64_t>{1, 1})));
  EXPECT_EQ(ds.image(0).sizes(), (std::vector<int64_t>{3, 8, 10}));
  EXPECT_EQ(ds.class_counts(), (std::vector<int64_t>{1, 2}));
}

TEST(DetectionDataset, MissingFileAndSplit) {
  testing::TempDir dir;
  ASSERT_THROWS_WITH(DetectionDataset(dir.file("none.h5"), "train"), IoError,
                     dir.file("none.h5") + ": cannot open: No such file or directory");
  const auto path = write_raw(dir);
  ASSERT_THROWS_WITH(DetectionDataset(path, "val"), IoError, path + ": /val: split not found (splits: train)");
}

TEST(DetectionDataset, WrongImageShape) {
  testing::TempDir dir;
  const auto path = write_raw(dir, [](h5::File& f) {
    h5::write_tensor(f, "/train/images", at::zeros({2, 8, 10}, at::kByte));
    h5::write_tensor(f, "/train/boxes", at::zeros({0, 4}));
  }, false);
  ASSERT_THROWS_WITH(DetectionDataset(path, "train"), IoError,
                     path + ": /train/images: expected uint8 [N,3,H,W], got uint8 [2,8,10]");
}

TEST(DetectionDataset, OffsetsMustCoverTheBoxes) {
  testing::TempDir dir;
  const auto path = write_raw(dir, [](h5::File& f) {
    h5::write_tensor(f, "/train/images", at::zeros({2, 3, 8, 10}, at::kByte));
    h5::write_tensor(f, "/train/boxes", at::tensor({0.f, 0.f, 4.f, 4.f}).reshape({1, 4}));
    h5::write_tensor(f, "/train/labels", at::tensor({0}, at::kInt));
    h5::write_tensor(f, "/train/offsets", at::tensor(std::vector<int64_t>{0, 1, 2}));
  }, false);
  ASSERT_THROWS_WITH(DetectionDataset(path, "train"), IoError,
                     path + ": /train/offsets: last offset 2 differs from the number of boxes (1)");
}

TEST(DetectionDataset, LabelBeyondTheClasses) {
  testing::TempDir dir;
  const auto path = write_raw(dir, [](h5::File& f) {
    h5::write_tensor(f, "/train/images", at::zeros({1, 3, 8, 10}, at::kByte));
    h5::write_tensor(f, "/train/boxes", at::tensor({0.f, 0.f, 4.f, 4.f, 1.f, 1.f, 2.f, 2.f}).reshape({2, 4}));
    h5::write_tensor(f, "/train/labels", at::tensor({1, 12}, at::kInt));
    h5::write_tensor(f, "/train/offsets", at::tensor(std::vector<int64_t>{0, 2}));
  }, false);
  ASSERT_THROWS_WITH(DetectionDataset(path, "train"), IoError,
                     path + ": /train/labels: label 12 at row 1 is outside [0, 2) (2 classes)");
}

TEST(DetectionDataset, BoxOutsideTheImage) {
  testing::TempDir dir;
  const auto path = write_raw(dir, [](h5::File& f) {
    h5::write_tensor(f, "/train/images", at::zeros({2, 3, 8, 10}, at::kByte));
    h5::write_tensor(f, "/train/boxes", at::tensor({0.f, 0.f, 4.f, 4.f, 1.f, 1.f, 10.5f, 8.f}).reshape({2, 4}));
    h5::write_tensor(f, "/train/labels", at::tensor({0, 1}, at::kInt));
    h5::write_tensor(f, "/train/offsets", at::tensor(std::vector<int64_t>{0, 1, 2}));
  }, false);
  ASSERT_THROWS_WITH(DetectionDataset(path, "train"), IoError,
                     path + ": /train/boxes: box 1 (image 1) [1 1 10.5 8] lies outside the 10x8 image");
}

TEST(DetectionDataset, LabelsMustMatchBoxes) {
  testing::TempDir dir;
  const auto path = write_raw(dir, [](h5::File& f) {
    h5::write_tensor(f, "/train/images", at::zeros({1, 3, 8, 10}, at::kByte));
    h5::write_tensor(f, "/train/boxes", at::tensor({0.f, 0.f, 4.f, 4.f}).reshape({1, 4}));
    h5::write_tensor(f, "/train/labels", at::tensor({0, 1}, at::kInt));
    h5::write_tensor(f, "/train/offsets", at::tensor(std::vector<int64_t>{0, 1}));
  }, false);
  ASSERT_THROWS_WITH(DetectionDataset(path, "train"), IoError,
                     path + ": /train/labels: expected int32 [1] (one per box), got int32 [2]");
}

TEST(DatasetWriter, WritesWhatTheReaderAccepts) {
  testing::TempDir dir;
  const auto path = dir.file("w.h5");
  {
    DatasetWriter w(path, {"a", "b", "c"}, "test", 3);
    w.begin_split("val", 2, 4, 4);
    w.write(1, at::full({3, 4, 4}, 9, at::kByte), at::tensor({0.f, 0.f, 2.f, 2.f}).reshape({1, 4}), at::tensor({2}));
    w.write(0, at::zeros({3, 4, 4}, at::kByte), at::zeros({0, 4}), at::zeros({0}, at::kLong));
    w.end_split();
    EXPECT_FALSE(std::filesystem::exists(path));  // not before finish()
    w.finish();
  }
  const DetectionDataset ds(path, "val");
  EXPECT_EQ(ds.size(), 2);
  EXPECT_EQ(ds.boxes(0).size(0), 0);
  EXPECT_EQ(ds.labels(1).item<int64_t>(), 2);
  EXPECT_EQ(ds.image(1)[0][0][0].item<uint8_t>(), 9);
  const h5::File f = h5::File::open(path);
  EXPECT_EQ(h5::string_attribute(f, "/", "format"), "qat-detection");
  EXPECT_TRUE(h5::info(f, "/val/images").deflate);
}

TEST(DatasetWriter, AbandonedWriterLeavesNothing) {
  testing::TempDir dir;
  const auto path = dir.file("w.h5");
  { DatasetWriter w(path, {"a"}, "test", 0); }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace qat::data
