// Hostile or careless inputs to the data area (issue 14): paths leading out of the
// folder the user gave, symbolic-link loops, JSON number overflow, decompression
// bombs, oversized HDF5 datasets, and byte-identical output for identical input.
#include <nlohmann/json.hpp>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "qat/core/atomic_file.h"
#include "qat/core/limits.h"
#include "qat/data/coco_import.h"
#include "qat/data/contained_path.h"
#include "qat/data/h5.h"
#include "qat/data/image_file.h"
#include "qat/data/yolo_import.h"
#include "support/test_support.h"
#include "test_images.h"

namespace qat::data {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kHint = " (give --allow-outside to read files elsewhere)";

// One image a.png in <dir>/images and a json naming `file_name` for it.
CocoImportOptions coco_with(const qat::testing::TempDir& dir, const std::string& file_name) {
  dir.write("images/a.png", testing::png_rgb(4, 2, [](int, int) { return 0xff0000u; }));
  json j = json::parse(R"({"images": [{"id": 1, "file_name": "a.png"}], "annotations": [],
                           "categories": [{"id": 1, "name": "cat"}]})");
  j["images"][0]["file_name"] = file_name;
  CocoImportOptions o;
  o.splits.push_back({"train", dir.write("train.json", j.dump()), dir.file("images")});
  o.size = 8;
  o.out = dir.file("d.h5");
  return o;
}

// Restores an environment variable when it goes out of scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

}  // namespace

TEST(ContainedPath, FoldsDotsAndFollowsLinksInside) {
  qat::testing::TempDir dir;
  dir.write("root/sub/a.png", "x");
  fs::create_symlink("sub/a.png", dir.path() / "root/link.png");
  const std::string root = dir.file("root");
  EXPECT_EQ(contained_path(root, "sub/../sub/a.png", false, {"f.json", "e"}), root + "/sub/../sub/a.png");
  EXPECT_EQ(contained_path(root, "link.png", false, {"f.json", "e"}), root + "/link.png");
}

TEST(ContainedPath, RefusesAbsoluteDotDotAndLinksOutWithoutLookingOutside) {
  qat::testing::TempDir dir;
  fs::create_directories(dir.path() / "root");
  fs::create_symlink("/etc/passwd", dir.path() / "root/out.png");
  fs::create_symlink("../../no/such/file", dir.path() / "root/dangling.png");
  const std::string root = dir.file("root");
  ASSERT_THROWS_WITH(contained_path(root, "/etc/passwd", false, {"f.json", "images[0]"}), IoError,
                     "f.json: images[0]: '/etc/passwd' is an absolute path; paths must stay inside " + root + kHint);
  ASSERT_THROWS_WITH(contained_path(root, "../../../../etc/passwd", false, {"f.json", "images[0]"}), IoError,
                     "f.json: images[0]: '../../../../etc/passwd' leaves " + root + kHint);
  // Same message whether the outside target exists or not.
  ASSERT_THROWS_WITH(contained_path(root, "out.png", false, {"f.json", "e"}), IoError,
                     "f.json: e: 'out.png' leads out of " + root + " through a symbolic link" + kHint);
  ASSERT_THROWS_WITH(contained_path(root, "dangling.png", false, {"f.json", "e"}), IoError,
                     "f.json: e: 'dangling.png' leads out of " + root + " through a symbolic link" + kHint);
  EXPECT_EQ(contained_path(root, "/etc/passwd", true, {"f.json", "e"}), "/etc/passwd");
  EXPECT_EQ(contained_path(root, "out.png", true, {"f.json", "e"}), root + "/out.png");
}

TEST(ContainedPath, SymbolicLinkLoopIsNamed) {
  qat::testing::TempDir dir;
  fs::create_directories(dir.path() / "root");
  fs::create_symlink("b.png", dir.path() / "root/a.png");
  fs::create_symlink("a.png", dir.path() / "root/b.png");
  const std::string root = dir.file("root");
  ASSERT_THROWS_WITH(contained_path(root, "a.png", false, {"f.json", "e"}), IoError,
                     "f.json: e: 'a.png': symbolic link loop");
  ASSERT_THROWS_WITH(contained_path(root, "a.png", true, {"f.json", "e"}), IoError,
                     "f.json: e: 'a.png': symbolic link loop");
}

TEST(HostileCoco, FileNameOutsideTheImagesFolderIsRefusedAndNothingIsWritten) {
  qat::testing::TempDir dir;
  const std::string images = dir.file("images");
  for (const std::string name : {"../../../../../../etc/passwd", "/etc/passwd", "../train.json"}) {
    const CocoImportOptions o = coco_with(dir, name);
    const std::string why = name[0] == '/' ? "' is an absolute path; paths must stay inside " + images
                                           : "' leaves " + images;
    ASSERT_THROWS_WITH(import_coco(o), IoError, o.splits[0].annotations + ": images[0] (id 1): '" + name + why + kHint);
    EXPECT_FALSE(fs::exists(o.out));
  }
  // The same entry is read with --allow-outside (here: a PNG next to the images folder).
  dir.write("outside.png", testing::png_rgb(4, 2, [](int, int) { return 0x00ff00u; }));
  CocoImportOptions o = coco_with(dir, "../outside.png");
  o.allow_outside = true;
  EXPECT_EQ(import_coco(o).splits.at(0).images, 1);
  EXPECT_TRUE(fs::exists(o.out));
}

TEST(HostileCoco, JsonNumberOverflowIsLocated) {
  qat::testing::TempDir dir;
  CocoImportOptions o = coco_with(dir, "a.png");
  dir.write("train.json", "{\"images\": [{\"id\": 1,\n  \"width\": 1e999}]}");
  ASSERT_THROWS_WITH(import_coco(o), IoError,
                     dir.file("train.json") + ":2:12: invalid JSON: number overflow parsing '1e999'");
  EXPECT_FALSE(fs::exists(o.out));
}

TEST(HostileCoco, LongValuesAreQuotedAsExcerpts) {
  qat::testing::TempDir dir;
  CocoImportOptions o = coco_with(dir, "a.png");
  json j = json::parse(R"({"images": [{"id": 1, "file_name": "a.png"}], "categories": []})");
  j["images"][0]["id"] = std::string(500, 'x');
  j["categories"] = json::parse(R"([{"id": 1, "name": "cat"}])");
  dir.write("train.json", j.dump());
  ASSERT_THROWS_WITH(import_coco(o), IoError,
                     dir.file("train.json") + ": images[0]: 'id' must be an integer, got \"" + std::string(79, 'x') +
                         "...");
}

TEST(HostileYolo, SymbolicLinksOutOfTheImagesFolderAndLoopsAreRefused) {
  qat::testing::TempDir dir;
  dir.write("y/classes.txt", "cat\n");
  dir.write("y/images/train/a.png", testing::png_rgb(4, 2, [](int, int) { return 0xff0000u; }));
  dir.write("secret.png", testing::png_rgb(4, 2, [](int, int) { return 0x00ff00u; }));
  fs::create_symlink(dir.path() / "secret.png", dir.path() / "y/images/train/b.png");
  YoloImportOptions o;
  o.root = dir.file("y");
  o.size = 8;
  o.out = dir.file("d.h5");
  const std::string images = dir.file("y/images/train");
  ASSERT_THROWS_WITH(import_yolo(o), IoError,
                     images + "/b.png: 'b.png' leads out of " + images + " through a symbolic link" + kHint);
  EXPECT_FALSE(fs::exists(o.out));
  o.allow_outside = true;
  EXPECT_EQ(import_yolo(o).splits.at(0).images, 2);

  fs::remove(o.out);
  fs::remove(dir.path() / "y/images/train/b.png");
  fs::create_symlink("c.png", dir.path() / "y/images/train/b.png");
  fs::create_symlink("b.png", dir.path() / "y/images/train/c.png");
  ASSERT_THROWS_WITH(import_yolo(o), IoError, images + "/b.png: 'b.png': symbolic link loop");
  EXPECT_FALSE(fs::exists(o.out));
}

TEST(HostileYolo, LabelFileLinkedOutIsRefused) {
  qat::testing::TempDir dir;
  dir.write("y/classes.txt", "cat\n");
  dir.write("y/images/train/a.png", testing::png_rgb(4, 2, [](int, int) { return 0xff0000u; }));
  fs::create_directories(dir.path() / "y/labels/train");
  fs::create_symlink("/etc/passwd", dir.path() / "y/labels/train/a.txt");
  YoloImportOptions o;
  o.root = dir.file("y");
  o.out = dir.file("d.h5");
  const std::string labels = dir.file("y/labels/train");
  ASSERT_THROWS_WITH(import_yolo(o), IoError,
                     labels + "/a.txt: 'a.txt' leads out of " + labels + " through a symbolic link" + kHint);
  EXPECT_FALSE(fs::exists(o.out));
}

TEST(HostileImage, HeaderDeclaringHugeSizeIsRefusedBeforeDecoding) {
  // A valid 2x2 PNG whose IHDR is patched to a larger size (stb does not check CRCs).
  auto declaring = [](const std::string& side_be) {
    std::string png = testing::png_rgb(2, 2, [](int, int) { return 0u; });
    png.replace(16, 4, side_be);
    png.replace(20, 4, side_be);
    return png;
  };
  // 10000 x 10000: 300 MB decoded, below stb's own 1 GiB guard, above qat's limit.
  ASSERT_THROWS_WITH(decode_image(declaring(std::string("\x00\x00\x27\x10", 4)), "bomb.png"), IoError,
                     "bomb.png: cannot decode image: its header declares 10000x10000 pixels, at most 67108864 pixels "
                     "(raise with QAT_MAX_IMAGE_PIXELS=N)");
  // 40000 x 40000 (4.8 GB decoded): stb refuses it from the header already.
  ASSERT_THROWS_WITH(decode_image(declaring(std::string("\x00\x00\x9c\x40", 4)), "bomb.png"), IoError,
                     "bomb.png: cannot decode image: image too large to decode");
  const ScopedEnv small("QAT_MAX_IMAGE_PIXELS", "3");
  ASSERT_THROWS_WITH(decode_image(testing::png_rgb(2, 2, [](int, int) { return 0u; }), "a.png"), IoError,
                     "a.png: cannot decode image: its header declares 2x2 pixels, at most 3 pixels "
                     "(raise with QAT_MAX_IMAGE_PIXELS=N)");
}

TEST(HostileH5, DatasetLargerThanTheLimitIsRefusedBeforeAllocating) {
  qat::testing::TempDir dir;
  const std::string path = dir.file("t.h5");
  {
    h5::File f = h5::File::create(path);
    // 2^20 x 2^12 bytes (4 GiB) declared, chunked and compressed: a few KB on disk.
    h5::create_dataset(f, "/big", at::kByte, {int64_t(1) << 20, int64_t(1) << 12}, h5::Storage{{1024, 4096}, 9, false});
  }
  EXPECT_LT(fs::file_size(path), 1u << 20);
  const h5::File f = h5::File::open(path);
  ASSERT_THROWS_WITH(h5::read_tensor(f, "/big"), IoError,
                     path + ": /big: shape [1048576,4096] is larger than at most 2147483648 bytes "
                            "(raise with QAT_MAX_TENSOR_BYTES=N)");
  EXPECT_EQ(h5::read_rows(f, "/big", 0, 2).sizes(), (at::IntArrayRef{2, 4096}));
  const ScopedEnv small("QAT_MAX_TENSOR_BYTES", "4096");
  ASSERT_THROWS_WITH(h5::read_rows(f, "/big", 0, 2), IoError,
                     path + ": /big: shape [2,4096] is larger than at most 4096 bytes (raise with QAT_MAX_TENSOR_BYTES=N)");
}

TEST(Determinism, TheSameDatasetMadeTwiceIsByteIdentical) {
  qat::testing::TempDir dir;
  qat::testing::write_tiny_scenes(dir.file("a.h5"));
  // Object timestamps have a one-second resolution: without H5Pset_obj_track_times(false)
  // the second file would differ.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  qat::testing::write_tiny_scenes(dir.file("b.h5"));
  const std::string a = read_file(dir.file("a.h5")), b = read_file(dir.file("b.h5"));
  ASSERT_EQ(a.size(), b.size());
  EXPECT_TRUE(a == b);
}

}  // namespace qat::data
