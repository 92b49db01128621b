#include "qat/data/import_writer.h"

#include <filesystem>
#include <system_error>

#include "qat/data/dataset.h"
#include "support/test_support.h"

namespace qat::data {

TEST(FitToSquare, LetterboxesPixelsAndBoxesAndDropsEmptyBoxes) {
  // 4 wide, 2 tall, into 8x8: scale 2, content 8x4 at rows 2..5 (pad_y 2).
  const at::Tensor image = at::full({3, 2, 4}, 200, at::kByte);
  const at::Tensor boxes = at::tensor({1.f, 0.f, 3.f, 2.f,     // inside      -> [2 2 6 6]
                                       -1.f, 0.5f, 2.f, 3.f,   // overhangs   -> clipped [0 .5 2 2] -> [0 3 4 6]
                                       3.f, 1.f, 3.f, 2.f,     // zero width  -> dropped
                                       5.f, 0.f, 6.f, 1.f})    // off the image: zero width once clipped -> dropped
                               .reshape({4, 4});
  const at::Tensor labels = at::tensor(std::vector<int64_t>{4, 5, 6, 7});
  const FittedImage f = fit_to_square(image, boxes, labels, 8);
  EXPECT_EQ(f.image.scalar_type(), at::kByte);
  EXPECT_EQ(f.image.sizes(), (std::vector<int64_t>{3, 8, 8}));
  EXPECT_EQ(f.image[0][1][0].item<int>(), 114);  // padding
  EXPECT_EQ(f.image[1][2][0].item<int>(), 200);  // first content row
  EXPECT_EQ(f.image[2][5][7].item<int>(), 200);  // last content row
  EXPECT_EQ(f.image[0][6][3].item<int>(), 114);
  EXPECT_TRUE(at::equal(f.boxes, at::tensor({2.f, 2.f, 6.f, 6.f, 0.f, 3.f, 4.f, 6.f}).reshape({2, 4})));
  EXPECT_TRUE(at::equal(f.labels, at::tensor(std::vector<int64_t>{4, 5})));
  EXPECT_EQ(f.dropped, 2);
}

TEST(FitToSquare, NoBoxes) {
  const FittedImage f = fit_to_square(at::zeros({3, 8, 8}, at::kByte), at::zeros({0, 4}), at::zeros({0}, at::kLong), 8);
  EXPECT_EQ(f.boxes.sizes(), (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(f.labels.numel(), 0);
  EXPECT_EQ(f.dropped, 0);
  EXPECT_TRUE(at::equal(f.image, at::zeros({3, 8, 8}, at::kByte)));
}

TEST(ImportWriter, WritesAValidDatasetAndCounts) {
  qat::testing::TempDir dir;
  const auto path = dir.file("d.h5");
  ImportWriter w(path, {"a", "b"}, "test", 8);
  w.begin_split("train", 2);
  w.summary().crowd_skipped = 3;
  w.add(at::full({3, 4, 4}, 9, at::kByte), at::tensor({0.f, 0.f, 2.f, 2.f, 1.f, 1.f, 1.f, 2.f}).reshape({2, 4}),
        at::tensor(std::vector<int64_t>{1, 0}));
  w.add(at::full({3, 8, 8}, 7, at::kByte), at::zeros({0, 4}), at::zeros({0}, at::kLong));
  w.end_split();
  EXPECT_FALSE(std::filesystem::exists(path));  // only after finish()
  const ImportSummary s = w.finish();
  ASSERT_EQ(s.splits.size(), 1u);
  EXPECT_EQ(s.splits[0].name, "train");
  EXPECT_EQ(s.splits[0].images, 2);
  EXPECT_EQ(s.splits[0].objects, 1);
  EXPECT_EQ(s.splits[0].dropped_boxes, 1);
  EXPECT_EQ(s.splits[0].crowd_skipped, 3);
  const DetectionDataset ds(path, "train");
  EXPECT_EQ(ds.size(), 2);
  EXPECT_TRUE(at::equal(ds.boxes(0), at::tensor({0.f, 0.f, 4.f, 4.f}).reshape({1, 4})));
  EXPECT_EQ(ds.boxes(1).size(0), 0);
  EXPECT_EQ(ds.image(1)[0][0][0].item<int>(), 7);
}

TEST(ImportWriter, AddsBoxesGivenAsFlatVectors) {
  qat::testing::TempDir dir;
  const auto path = dir.file("d.h5");
  ImportWriter w(path, {"a", "b"}, "test", 8);
  w.begin_split("val", 2);
  w.add(at::full({3, 4, 4}, 9, at::kByte), std::vector<float>{0, 0, 2, 2, 1, 1, 1, 2}, std::vector<int64_t>{1, 0});
  w.add(at::full({3, 8, 8}, 7, at::kByte), std::vector<float>{}, std::vector<int64_t>{});
  w.end_split();
  const ImportSummary s = w.finish();
  ASSERT_EQ(s.splits.size(), 1u);
  EXPECT_EQ(s.splits[0].objects, 1);
  EXPECT_EQ(s.splits[0].dropped_boxes, 1);
  const DetectionDataset ds(path, "val");
  EXPECT_TRUE(at::equal(ds.boxes(0), at::tensor({0.f, 0.f, 4.f, 4.f}).reshape({1, 4})));
  EXPECT_TRUE(at::equal(ds.labels(0), at::tensor(std::vector<int64_t>{1})));
  EXPECT_EQ(ds.boxes(1).size(0), 0);
}

TEST(RethrowFilesystemErrors, NamesThePathInAnIoError) {
  ASSERT_THROWS_WITH(rethrow_filesystem_errors([]() -> ImportSummary {
                       throw std::filesystem::filesystem_error(
                           "x", "/no/such", std::make_error_code(std::errc::permission_denied));
                     }),
                     IoError, "/no/such: Permission denied");
  EXPECT_EQ(rethrow_filesystem_errors([] { return ImportSummary{{SplitSummary{"s"}}}; }).splits.at(0).name, "s");
}

TEST(CheckSplitName, RejectsWhatCannotNameAGroup) {
  check_split_name("train");
  ASSERT_THROWS_WITH(check_split_name(""), Error, "invalid split name '' (needs a non-empty name without '/')");
  ASSERT_THROWS_WITH(check_split_name("a/b"), Error, "invalid split name 'a/b' (needs a non-empty name without '/')");
}

}  // namespace qat::data
