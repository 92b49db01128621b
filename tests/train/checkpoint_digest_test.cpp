// Checkpoints carry a content digest checked on load (issue 14): a flipped weight
// byte or an edited attribute is refused by every reader, version 1 files (no digest)
// are refused with a message saying so, and identical content gives identical bytes.
#include <chrono>
#include <cstring>
#include <thread>

#include "qat/core/atomic_file.h"
#include "qat/data/h5.h"
#include "qat/train/checkpoint.h"
#include "support/test_support.h"

namespace qat::train {
namespace {

Checkpoint sample() {
  Checkpoint ck;
  ck.epoch = 3;
  ck.phase = "fp32";
  ck.recipe_hash = "abc";
  ck.arch = "yolo-nano";
  ck.history_json = "[]";
  // A distinctive pattern, to find the weight's bytes in the file.
  ck.params["conv.weight"] = at::arange(1000, 1064, at::kFloat) * 1.5f;
  ck.buffers["bn.running_mean"] = at::zeros({4});
  return ck;
}

std::string digest_of(const std::string& path) {
  const h5::File f = h5::File::open(path);
  return h5::string_attribute(f, "/", "content_sha256");
}

}  // namespace

TEST(CheckpointDigest, AFlippedWeightByteIsRefusedOnLoad) {
  testing::TempDir dir;
  const auto path = dir.file("ck.h5");
  Checkpoint ck = sample();
  save_checkpoint(path, ck);
  EXPECT_NO_THROW(load_checkpoint(path));

  std::string bytes = read_file(path);
  const at::Tensor w = ck.params.at("conv.weight");
  const std::string pattern(static_cast<const char*>(w.data_ptr()), 64 * sizeof(float));
  const size_t at = bytes.find(pattern);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 41] = static_cast<char>(bytes[at + 41] ^ 0x01);
  write_file_atomic(path, bytes);

  // What the flipped file holds, saved cleanly elsewhere: its digest is the one load computes.
  std::memcpy(static_cast<char*>(w.data_ptr()) + 41, bytes.data() + at + 41, 1);
  save_checkpoint(dir.file("flipped.h5"), ck);
  const std::string content = digest_of(dir.file("flipped.h5"));
  const std::string stored = digest_of(path);
  ASSERT_NE(content, stored);
  ASSERT_THROWS_WITH(load_checkpoint(path), IoError,
                     path + ": /: content does not match its digest (content_sha256 " + stored.substr(0, 12) +
                         ", content " + content.substr(0, 12) +
                         "): the file was modified or corrupted after it was written");
}

TEST(CheckpointDigest, VersionOneAndMissingDigestAreRefused) {
  testing::TempDir dir;
  const auto old = dir.file("old.h5");
  {
    h5::File f = h5::File::create(old);
    h5::set_attribute(f, "/", "format", std::string("qat-checkpoint"));
    h5::set_attribute(f, "/", "format_version", int64_t(1));
  }
  ASSERT_THROWS_WITH(load_checkpoint(old), IoError,
                     old + ": /: checkpoint format version 1 has no content digest (content_sha256) and is no longer "
                           "read: retrain to write a version 2 checkpoint");
  const auto bare = dir.file("bare.h5");
  {
    h5::File f = h5::File::create(bare);
    h5::set_attribute(f, "/", "format", std::string("qat-checkpoint"));
    h5::set_attribute(f, "/", "format_version", int64_t(2));
    h5::set_attribute(f, "/", "epoch", int64_t(0));
    for (const char* a : {"phase", "recipe_hash", "arch", "history"}) h5::set_attribute(f, "/", a, std::string());
  }
  ASSERT_THROWS_WITH(load_checkpoint(bare), IoError, bare + ": /: attribute 'content_sha256' is missing");
}

// The digest of a given content never changes, so checkpoints written by earlier
// builds keep loading: an FP32 one (epoch 3) and a student selected at the PTQ
// starting point (no completed epoch, stored as epoch -1).
TEST(CheckpointDigest, IsTheSameAsEarlierBuildsWrote) {
  testing::TempDir dir;
  save_checkpoint(dir.file("fp32.h5"), sample());
  EXPECT_EQ(digest_of(dir.file("fp32.h5")), "bb2d7655e20f26a0d487cd2a7d9eb3402c5447560607c16ac17573773887f788");
  Checkpoint ptq = sample();
  ptq.epoch.reset();
  ptq.phase = "qat";
  save_checkpoint(dir.file("ptq.h5"), ptq);
  EXPECT_EQ(digest_of(dir.file("ptq.h5")), "f7a3b228b6a41deb452913de434bc1d1a3898510417cd46a2fd6cfa7ef452556");
  EXPECT_EQ(h5::int_attribute(h5::File::open(dir.file("ptq.h5")), "/", "epoch"), -1);
  EXPECT_EQ(load_checkpoint(dir.file("ptq.h5")).epoch, std::nullopt);
  EXPECT_EQ(load_checkpoint(dir.file("fp32.h5")).epoch, std::optional<int64_t>(3));
}

TEST(CheckpointDigest, TheSameContentSavedTwiceIsByteIdentical) {
  testing::TempDir dir;
  save_checkpoint(dir.file("a.h5"), sample());
  // HDF5 object timestamps have a one-second resolution.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  save_checkpoint(dir.file("b.h5"), sample());
  const std::string a = read_file(dir.file("a.h5")), b = read_file(dir.file("b.h5"));
  ASSERT_EQ(a.size(), b.size());
  EXPECT_TRUE(a == b);
}

}  // namespace qat::train
