#include "qat/data/yolo_import.h"

#include <filesystem>

#include "qat/core/atomic_file.h"
#include "qat/data/dataset.h"
#include "support/test_support.h"
#include "test_images.h"

namespace qat::data {
namespace {

using testing::pixel;

// classes.txt: cat, dog, bird.
// images/train/img0.jpg: 8x8 (100, 150, 200), no label file.
// images/train/img1.png: 4 wide, 2 tall, left half red, right half blue; 3 labels, one empty.
// images/train/notes.md: not an image, ignored.
// images/val/v.png: 8x8 green; 1 label.
std::string write_folder(const qat::testing::TempDir& dir) {
  dir.write("y/classes.txt", "cat\ndog\nbird\n");
  std::string rgb;
  for (int i = 0; i < 64; ++i) rgb += std::string("\x64\x96\xc8", 3);
  dir.write("y/images/train/img0.jpg", testing::jpeg_raw(8, 8, 3, rgb));
  dir.write("y/images/train/img1.png", testing::png_rgb(4, 2, [](int x, int) { return x < 2 ? 0xff0000u : 0x0000ffu; }));
  dir.write("y/images/train/notes.md", "# notes\n");
  dir.write("y/labels/train/img1.txt", "0 0.5 0.5 0.5 1\n2 0.25 0.25 0.5 0.5\n1 0.5 0.5 0 0.5\n");
  dir.write("y/images/val/v.png", testing::png_rgb(8, 8, [](int, int) { return 0x00ff00u; }));
  dir.write("y/labels/val/v.txt", "1 0.5 0.5 0.25 0.5");
  return dir.file("y");
}

YoloImportOptions options_for(const std::string& root, const qat::testing::TempDir& dir, const std::string& out = "d.h5") {
  YoloImportOptions o;
  o.root = root;
  o.size = 8;
  o.out = dir.file(out);
  return o;
}

}  // namespace

TEST(ImportYolo, EverySplitInFileNameOrderWithLetterboxedBoxes) {
  qat::testing::TempDir dir;
  const YoloImportOptions o = options_for(write_folder(dir), dir);
  const ImportSummary s = import_yolo(o);
  ASSERT_EQ(s.splits.size(), 2u);
  EXPECT_EQ(s.splits[0].name, "train");
  EXPECT_EQ(s.splits[0].images, 2);
  EXPECT_EQ(s.splits[0].objects, 2);
  EXPECT_EQ(s.splits[0].dropped_boxes, 1);     // line 3, zero width
  EXPECT_EQ(s.splits[0].unlabeled_images, 1);  // img0.jpg
  EXPECT_EQ(s.splits[0].ignored_files, 1);     // notes.md
  EXPECT_EQ(s.splits[1].name, "val");

  const DetectionDataset train(o.out, "train");
  EXPECT_EQ(train.class_names(), (std::vector<std::string>{"cat", "dog", "bird"}));
  ASSERT_EQ(train.size(), 2);
  // img0.jpg: no objects; 8x8 already, so only JPEG's rounding separates it from what was encoded.
  EXPECT_EQ(train.boxes(0).size(0), 0);
  const at::Tensor jpeg = train.image(0).to(at::kInt);
  EXPECT_LE((jpeg - at::tensor({100, 150, 200}, at::kInt).reshape({3, 1, 1})).abs().max().item<int>(), 2);
  // img1.png (4x2 -> scale 2, pad_y 2): (cx .5, cy .5, w .5, h 1) -> [1 0 3 2] px -> [2 2 6 6];
  // (.25, .25, .5, .5) -> [0 0 2 1] px -> [0 2 4 4].
  EXPECT_TRUE(at::equal(train.boxes(1), at::tensor({2.f, 2.f, 6.f, 6.f, 0.f, 2.f, 4.f, 4.f}).reshape({2, 4})));
  EXPECT_TRUE(at::equal(train.labels(1), at::tensor(std::vector<int64_t>{0, 2})));
  const at::Tensor png = train.image(1);
  EXPECT_EQ(pixel(png, 1, 4), (std::vector<int64_t>{114, 114, 114}));
  EXPECT_EQ(pixel(png, 4, 1), (std::vector<int64_t>{255, 0, 0}));
  EXPECT_EQ(pixel(png, 3, 4), (std::vector<int64_t>{64, 0, 191}));  // input x = 1.75: 1/4 red, 3/4 blue

  const DetectionDataset val(o.out, "val");
  ASSERT_EQ(val.size(), 1);
  // 8x8, no scaling: (.5, .5, .25, .5) -> [3 2 5 6].
  EXPECT_TRUE(at::equal(val.boxes(0), at::tensor({3.f, 2.f, 5.f, 6.f}).reshape({1, 4})));
  EXPECT_TRUE(at::equal(val.labels(0), at::tensor(std::vector<int64_t>{1})));
  EXPECT_EQ(pixel(val.image(0), 7, 7), (std::vector<int64_t>{0, 255, 0}));
}

TEST(ImportYolo, ChosenSplitsOnly) {
  qat::testing::TempDir dir;
  YoloImportOptions o = options_for(write_folder(dir), dir);
  o.splits = {"val"};
  const ImportSummary s = import_yolo(o);
  ASSERT_EQ(s.splits.size(), 1u);
  ASSERT_THROWS_WITH(DetectionDataset(o.out, "train"), IoError, o.out + ": /train: split not found (splits: val)");
  o.splits = {"test"};
  ASSERT_THROWS_WITH(import_yolo(o), IoError, dir.file("y/images/test") + ": not a directory");
}

TEST(ImportYolo, SameInputGivesAByteIdenticalFile) {
  qat::testing::TempDir dir;
  const std::string root = write_folder(dir);
  import_yolo(options_for(root, dir, "one.h5"));
  import_yolo(options_for(root, dir, "two.h5"));
  const std::string one = read_file(dir.file("one.h5")), two = read_file(dir.file("two.h5"));
  EXPECT_GT(one.size(), 1000u);
  EXPECT_TRUE(one == two);
}

TEST(ImportYolo, LabelErrorsGiveFileAndLine) {
  qat::testing::TempDir dir;
  const std::string root = write_folder(dir);
  const std::string label = dir.file("y/labels/train/img1.txt");
  const auto fails = [&](const std::string& content, const std::string& expected) {
    dir.write("y/labels/train/img1.txt", content);
    ASSERT_THROWS_WITH(import_yolo(options_for(root, dir)), IoError, label + expected);
    EXPECT_FALSE(std::filesystem::exists(dir.file("d.h5")));
  };
  fails("0 0.5 0.5 0.5 1\n\n1 0.5 0.5 0.5\n", ":3: expected 5 numbers, got 4");
  fails("3 0.5 0.5 0.5 1\n", ":1: class 3 is outside [0, 3) (3 names in " + dir.file("y/classes.txt") + ")");
  fails("-1 0.5 0.5 0.5 1\n", ":1: class -1 is outside [0, 3) (3 names in " + dir.file("y/classes.txt") + ")");
  fails("0 0.5 0.5 0.5 1\n2 1.5 0.25 0.5 0.5\n", ":2: cx 1.5 is outside [0, 1]");
  fails("0 0.5 0.5 0.5 -0.1\n", ":1: h -0.1 is outside [0, 1]");
  fails("0 0.5x 0.5 0.5 1\n", ":1: '0.5x' is not a number");
  fails("1.0 0.5 0.5 0.5 1\r\n", ":1: class '1.0' is not an integer");
}

TEST(ImportYolo, FolderErrors) {
  qat::testing::TempDir dir;
  const std::string root = write_folder(dir);
  dir.write("y/labels/train/ghost.txt", "0 0.5 0.5 0.5 0.5\n");
  ASSERT_THROWS_WITH(import_yolo(options_for(root, dir)), IoError,
                     dir.file("y/labels/train/ghost.txt") + ": no image ghost.png, .jpg or .jpeg in " +
                         dir.file("y/images/train"));
  std::filesystem::remove(dir.file("y/labels/train/ghost.txt"));

  dir.write("y/images/train/img1.jpeg", testing::jpeg_raw(1, 1, 1, std::string(1, '\0')));
  ASSERT_THROWS_WITH(import_yolo(options_for(root, dir)), IoError,
                     dir.file("y/images/train/img1.png") + ": shares the label file img1.txt with img1.jpeg");
  std::filesystem::remove(dir.file("y/images/train/img1.jpeg"));

  dir.write("y/images/train/img0.jpg", "garbage");
  ASSERT_THROWS_WITH(import_yolo(options_for(root, dir)), IoError,
                     dir.file("y/images/train/img0.jpg") + ": cannot decode image: not a PNG or JPEG file");

  dir.write("y/classes.txt", "cat\n\ndog\n");
  ASSERT_THROWS_WITH(import_yolo(options_for(root, dir)), IoError, dir.file("y/classes.txt") + ":2: empty class name");
  std::filesystem::remove(dir.file("y/classes.txt"));
  ASSERT_THROWS_WITH(import_yolo(options_for(root, dir)), IoError,
                     dir.file("y/classes.txt") + ": not found (one class name per line)");
  ASSERT_THROWS_WITH(import_yolo(options_for(dir.file("none"), dir)), IoError, dir.file("none") + ": not a directory");
  EXPECT_FALSE(std::filesystem::exists(dir.file("d.h5")));
}

}  // namespace qat::data
