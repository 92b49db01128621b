#include "qat/data/h5.h"

#include "support/test_support.h"

namespace qat::h5 {

TEST(H5, TensorsAndAttributesRoundTrip) {
  testing::TempDir dir;
  const auto path = dir.file("t.h5");
  {
    File f = File::create(path);
    write_tensor(f, "/a/b/floats", at::tensor({1.5f, -2.0f}));
    write_tensor(f, "/ints", at::tensor(std::vector<int64_t>{7, 8, 9}));
    write_tensor(f, "/images", at::arange(24, at::kByte).reshape({2, 3, 2, 2}), Storage{{1, 3, 2, 2}, 4, true});
    set_attribute(f, "/", "names", std::vector<std::string>{"x", "y z"});
    set_attribute(f, "/a", "count", int64_t{42});
    set_attribute(f, "/", "text", std::string("hello"));
  }
  const File f = File::open(path);
  EXPECT_TRUE(at::equal(read_tensor(f, "/a/b/floats"), at::tensor({1.5f, -2.0f})));
  EXPECT_TRUE(at::equal(read_tensor(f, "/ints"), at::tensor(std::vector<int64_t>{7, 8, 9})));
  EXPECT_TRUE(at::equal(read_rows(f, "/images", 1, 1)[0], at::arange(12, 24, at::kByte).reshape({3, 2, 2})));
  EXPECT_EQ(strings_attribute(f, "/", "names"), (std::vector<std::string>{"x", "y z"}));
  EXPECT_EQ(int_attribute(f, "/a", "count"), 42);
  EXPECT_EQ(string_attribute(f, "/", "text"), "hello");
  EXPECT_EQ(groups(f, "/"), (std::vector<std::string>{"a"}));
  const auto i = info(f, "/images");
  EXPECT_EQ(i.chunk, (std::vector<int64_t>{1, 3, 2, 2}));
  EXPECT_TRUE(i.deflate);
  EXPECT_TRUE(i.shuffle);
  EXPECT_EQ(describe(i), "uint8 [2,3,2,2]");
}

TEST(H5, ErrorsNameFileAndObject) {
  testing::TempDir dir;
  ASSERT_THROWS_WITH(File::open(dir.file("none.h5")), IoError, dir.file("none.h5") + ": cannot open: No such file or directory");
  const auto text = dir.write("text.h5", "not hdf5");
  ASSERT_THROWS_WITH(File::open(text), IoError, text + ": cannot open: not an HDF5 file");
  const auto path = dir.file("t.h5");
  { File f = File::create(path); }
  const File f = File::open(path);
  ASSERT_THROWS_WITH(read_tensor(f, "/missing/x"), IoError, path + ": /missing/x: dataset not found");
  ASSERT_THROWS_WITH(int_attribute(f, "/", "nope"), IoError, path + ": /: attribute 'nope' is missing");
}

}  // namespace qat::h5
