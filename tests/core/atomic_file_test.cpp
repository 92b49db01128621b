#include "qat/core/atomic_file.h"

#include "support/test_support.h"

namespace qat {

TEST(AtomicFile, CommitReplacesTargetAndLeavesNoTemporary) {
  testing::TempDir dir;
  const auto target = dir.path() / "sub" / "out.txt";
  write_file_atomic(target, "first");
  write_file_atomic(target, "second");
  EXPECT_EQ(read_file(target), "second");
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(target.parent_path())) (void)e, ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(AtomicFile, WithoutCommitTheTargetIsUntouchedAndTemporaryRemoved) {
  testing::TempDir dir;
  const auto target = dir.path() / "out.txt";
  write_file_atomic(target, "kept");
  std::filesystem::path temp;
  {
    AtomicFile f(target);
    temp = f.temp_path();
    dir.write(temp.filename().string(), "half written");
    // destroyed without commit(): as when an exception unwinds the writer
  }
  EXPECT_FALSE(std::filesystem::exists(temp));
  EXPECT_EQ(read_file(target), "kept");
}

TEST(AtomicFile, ReadMissingFileNamesIt) {
  ASSERT_THROWS_WITH(read_file("/nonexistent/x.yaml"), IoError,
                     "/nonexistent/x.yaml: cannot read: No such file or directory");
}

}  // namespace qat
