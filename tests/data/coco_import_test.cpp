#include "qat/data/coco_import.h"

#include <nlohmann/json.hpp>

#include <filesystem>

#include "qat/core/atomic_file.h"
#include "qat/data/dataset.h"
#include "support/test_support.h"
#include "test_images.h"

namespace qat::data {
namespace {

using nlohmann::json;
using testing::pixel;

// images/a.png: 4 wide, 2 tall, left half red, right half blue.
// images/b.png: 2 wide, 4 tall, green.
// Categories with ids 3 (dog) and 1 (cat) -> class_names {cat, dog}.
json write_folder(const qat::testing::TempDir& dir) {
  dir.write("images/a.png", testing::png_rgb(4, 2, [](int x, int) { return x < 2 ? 0xff0000u : 0x0000ffu; }));
  dir.write("images/b.png", testing::png_rgb(2, 4, [](int, int) { return 0x00ff00u; }));
  return json::parse(R"({
    "images": [{"id": 7, "file_name": "b.png", "width": 2, "height": 4},
               {"id": 2, "file_name": "a.png", "width": 4, "height": 2}],
    "annotations": [
      {"id": 10, "image_id": 2, "category_id": 1, "bbox": [1, 0, 2, 2], "iscrowd": 0},
      {"id": 11, "image_id": 7, "category_id": 3, "bbox": [0, 1, 2, 1]},
      {"id": 12, "image_id": 2, "category_id": 3, "bbox": [0, 0, 4, 2], "iscrowd": 1},
      {"id": 13, "image_id": 7, "category_id": 1, "bbox": [1, 1, 0, 2]},
      {"id": 14, "image_id": 2, "category_id": 3, "bbox": [2.5, 0.5, 1.5, 1]}],
    "categories": [{"id": 3, "name": "dog"}, {"id": 1, "name": "cat"}]
  })");
}

CocoImportOptions options_for(const qat::testing::TempDir& dir, const json& train, const std::string& out = "d.h5") {
  CocoImportOptions o;
  o.splits.push_back({"train", dir.write("train.json", train.dump(1)), dir.file("images")});
  o.size = 8;
  o.out = dir.file(out);
  return o;
}

}  // namespace

TEST(ImportCoco, LetterboxesImagesAndBoxesInImageIdOrder) {
  qat::testing::TempDir dir;
  const CocoImportOptions o = options_for(dir, write_folder(dir));
  const ImportSummary s = import_coco(o);
  ASSERT_EQ(s.splits.size(), 1u);
  EXPECT_EQ(s.splits[0].images, 2);
  EXPECT_EQ(s.splits[0].objects, 3);
  EXPECT_EQ(s.splits[0].crowd_skipped, 1);  // annotation 12
  EXPECT_EQ(s.splits[0].dropped_boxes, 1);  // annotation 13, zero width

  const DetectionDataset ds(o.out, "train");
  EXPECT_EQ(ds.class_names(), (std::vector<std::string>{"cat", "dog"}));
  ASSERT_EQ(ds.size(), 2);
  EXPECT_EQ(ds.height(), 8);
  EXPECT_EQ(ds.width(), 8);
  // Image 0 is id 2 (a.png, 4x2): scale 2, 2 rows of padding on top.
  // [1 0 3 2] -> [2 2 6 6]; [2.5 .5 4 1.5] -> [5 3 8 5].
  EXPECT_TRUE(at::equal(ds.boxes(0), at::tensor({2.f, 2.f, 6.f, 6.f, 5.f, 3.f, 8.f, 5.f}).reshape({2, 4})));
  EXPECT_TRUE(at::equal(ds.labels(0), at::tensor(std::vector<int64_t>{0, 1})));
  // Image 1 is id 7 (b.png, 2x4): scale 2, 2 columns of padding on the left. [0 1 2 2] -> [2 2 6 4].
  EXPECT_TRUE(at::equal(ds.boxes(1), at::tensor({2.f, 2.f, 6.f, 4.f}).reshape({1, 4})));
  EXPECT_TRUE(at::equal(ds.labels(1), at::tensor(std::vector<int64_t>{1})));

  const at::Tensor a = ds.image(0);
  EXPECT_EQ(pixel(a, 0, 0), (std::vector<int64_t>{114, 114, 114}));
  EXPECT_EQ(pixel(a, 2, 0), (std::vector<int64_t>{255, 0, 0}));
  EXPECT_EQ(pixel(a, 5, 7), (std::vector<int64_t>{0, 0, 255}));
  // Output column 3 samples input x = 1.25: 3/4 red, 1/4 blue (191.25, 63.75 rounded).
  EXPECT_EQ(pixel(a, 3, 3), (std::vector<int64_t>{191, 0, 64}));
  EXPECT_EQ(pixel(a, 7, 7), (std::vector<int64_t>{114, 114, 114}));
  const at::Tensor b = ds.image(1);
  EXPECT_EQ(pixel(b, 0, 1), (std::vector<int64_t>{114, 114, 114}));
  EXPECT_EQ(pixel(b, 0, 2), (std::vector<int64_t>{0, 255, 0}));
  EXPECT_EQ(pixel(b, 7, 5), (std::vector<int64_t>{0, 255, 0}));
  EXPECT_EQ(pixel(b, 7, 6), (std::vector<int64_t>{114, 114, 114}));
  EXPECT_NO_THROW(describe_dataset(o.out));
}

TEST(ImportCoco, SameInputGivesAByteIdenticalFile) {
  qat::testing::TempDir dir;
  const json train = write_folder(dir);
  import_coco(options_for(dir, train, "one.h5"));
  import_coco(options_for(dir, train, "two.h5"));
  const std::string one = read_file(dir.file("one.h5")), two = read_file(dir.file("two.h5"));
  EXPECT_GT(one.size(), 1000u);
  EXPECT_TRUE(one == two);
}

TEST(ImportCoco, SeveralSplitsShareTheCategories) {
  qat::testing::TempDir dir;
  const json train = write_folder(dir);
  CocoImportOptions o = options_for(dir, train);
  json val = train;
  val["images"] = json::array({train["images"][1]});
  val["annotations"] = json::array({train["annotations"][0]});
  o.splits.push_back({"val", dir.write("val.json", val.dump()), dir.file("images")});
  const ImportSummary s = import_coco(o);
  ASSERT_EQ(s.splits.size(), 2u);
  EXPECT_EQ(s.splits[1].name, "val");
  const DetectionDataset ds(o.out, "val");
  EXPECT_EQ(ds.size(), 1);
  EXPECT_TRUE(at::equal(ds.boxes(0), at::tensor({2.f, 2.f, 6.f, 6.f}).reshape({1, 4})));

  val["categories"][0]["name"] = "wolf";
  o.splits[1].annotations = dir.write("val.json", val.dump());
  std::filesystem::remove(o.out);
  ASSERT_THROWS_WITH(import_coco(o), IoError,
                     dir.file("val.json") + ": categories: differ from those of split 'train' (1 cat, 3 wolf vs 1 cat, 3 dog)");
  EXPECT_FALSE(std::filesystem::exists(o.out));
}

TEST(ImportCoco, JsonSyntaxErrorGivesLineColumnAndByte) {
  qat::testing::TempDir dir;
  CocoImportOptions o = options_for(dir, write_folder(dir));
  dir.write("train.json", "{\n \"images\": [1,}");  // the '}' is byte 17: line 2, column 15
  ASSERT_THROWS_WITH(import_coco(o), IoError,
                     dir.file("train.json") + ":2:15: invalid JSON at byte 17: syntax error while parsing value - "
                                              "unexpected '}'; expected '[', '{', or a literal");
  dir.write("train.json", "[]");
  ASSERT_THROWS_WITH(import_coco(o), IoError,
                     dir.file("train.json") + ": expected an object with 'images', 'annotations' and 'categories', got array");
  EXPECT_FALSE(std::filesystem::exists(o.out));
}

TEST(ImportCoco, AnnotationErrorsSayWhichAnnotation) {
  qat::testing::TempDir dir;
  const json good = write_folder(dir);
  const auto fails = [&](const std::function<void(json&)>& mutate, const std::string& expected) {
    json j = good;
    mutate(j);
    ASSERT_THROWS_WITH(import_coco(options_for(dir, j)), IoError, dir.file("train.json") + ": " + expected);
    EXPECT_FALSE(std::filesystem::exists(dir.file("d.h5")));
  };
  fails([](json& j) { j["annotations"][1]["image_id"] = 99; },
        "annotations[1] (id 11): image_id 99 is not in images");
  fails([](json& j) { j["annotations"][0]["category_id"] = 5; },
        "annotations[0] (id 10): category_id 5 is not in categories (ids: 1, 3)");
  fails([](json& j) { j["annotations"][4]["bbox"] = json::array({1, 2, 3}); },
        "annotations[4] (id 14): bbox must be 4 numbers [x, y, width, height], got [1,2,3]");
  fails([](json& j) { j["annotations"][4]["bbox"][3] = -1; },
        "annotations[4] (id 14): bbox [2.5,0.5,1.5,-1] has a negative width or height");
  fails([](json& j) { j["annotations"][1].erase("image_id"); }, "annotations[1] (id 11): 'image_id' is missing");
  fails([](json& j) { j["images"][0]["id"] = "7"; }, "images[0]: 'id' must be an integer, got \"7\"");
  fails([](json& j) { j["images"][1]["id"] = 7; }, "images[1] (id 7): image id 7 is repeated");
  fails([](json& j) { j["categories"] = json::array(); }, "categories: no categories");
  fails([](json& j) { j.erase("images"); }, "'images' is missing");
}

TEST(ImportCoco, MissingCorruptOrMisSizedImageFiles) {
  qat::testing::TempDir dir;
  json j = write_folder(dir);
  j["images"][0]["file_name"] = "c.png";
  ASSERT_THROWS_WITH(import_coco(options_for(dir, j)), IoError,
                     dir.file("train.json") + ": images[0] (id 7): image file " + dir.file("images/c.png") + " not found");

  j = write_folder(dir);
  j["images"][1]["width"] = 5;
  ASSERT_THROWS_WITH(import_coco(options_for(dir, j)), IoError,
                     dir.file("train.json") + ": images[1] (id 2): image file " + dir.file("images/a.png") +
                         " is 4x2 pixels, the json says 5x2");
  // A side the json leaves out is not checked, and shows as '?'.
  j = write_folder(dir);
  j["images"][1]["width"] = 5;
  j["images"][1].erase("height");
  ASSERT_THROWS_WITH(import_coco(options_for(dir, j)), IoError,
                     dir.file("train.json") + ": images[1] (id 2): image file " + dir.file("images/a.png") +
                         " is 4x2 pixels, the json says 5x?");
  j = write_folder(dir);
  j["images"][1].erase("width");
  j["images"][1].erase("height");
  EXPECT_NO_THROW(import_coco(options_for(dir, j, "sizeless.h5")));
  // A negative side is a side the image does not have (it was taken for an absent one).
  j = write_folder(dir);
  j["images"][1]["width"] = -1;
  ASSERT_THROWS_WITH(import_coco(options_for(dir, j)), IoError,
                     dir.file("train.json") + ": images[1] (id 2): image file " + dir.file("images/a.png") +
                         " is 4x2 pixels, the json says -1x2");

  j = write_folder(dir);
  dir.write("images/b.png", "not an image");
  ASSERT_THROWS_WITH(import_coco(options_for(dir, j)), IoError,
                     dir.file("images/b.png") + ": cannot decode image: not a PNG or JPEG file");
  EXPECT_FALSE(std::filesystem::exists(dir.file("d.h5")));
}

TEST(CocoSplitSource, Parse) {
  const CocoSplitSource s = CocoSplitSource::parse("train=ann/instances_train.json:images/train");
  EXPECT_EQ(s.name, "train");
  EXPECT_EQ(s.annotations, "ann/instances_train.json");
  EXPECT_EQ(s.images_dir, "images/train");
  ASSERT_THROWS_WITH(CocoSplitSource::parse("train.json"), Error,
                     "--split: expected NAME=JSON:IMAGES_DIR, got 'train.json'");
  ASSERT_THROWS_WITH(CocoSplitSource::parse("train=a.json:"), Error,
                     "--split: expected NAME=JSON:IMAGES_DIR, got 'train=a.json:'");
  ASSERT_THROWS_WITH(CocoSplitSource::parse("a/b=a.json:img"), Error,
                     "invalid split name 'a/b' (needs a non-empty name without '/')");
}

TEST(CocoImportOptions, Validate) {
  CocoImportOptions o;
  o.out = "d.h5";
  ASSERT_THROWS_WITH(o.validate(), Error, "coco import: give at least one --split NAME=JSON:IMAGES_DIR");
  o.splits = {{"train", "a.json", "img"}, {"train", "b.json", "img"}};
  ASSERT_THROWS_WITH(o.validate(), Error, "coco import: split 'train' is given twice");
  o.splits.pop_back();
  o.size = 0;
  ASSERT_THROWS_WITH(o.validate(), Error, "coco import: --size must be at least 1, got 0");
}

}  // namespace qat::data
