// Files corrupted on disk: a checkpoint and a dataset, each damaged in seeded ways
// (a bit flipped, a run of 16 bytes overwritten with 0x00 or 0xff, the file cut short)
// and read back. Each must be read or refused as bad input (a qat::Error with exit
// code 2); a crash, an internal error or another exception fails the test, naming the
// damage. A checkpoint that still loads must hold exactly what was saved: its content
// digest leaves no other outcome. QAT_DAMAGE_TRACE=1 prints each damage before it is
// read (a crash leaves the last one printed).
#include <random>

#include "qat/core/atomic_file.h"
#include "qat/data/dataset.h"
#include "qat/train/checkpoint.h"
#include "support/test_support.h"

namespace qat {
namespace {

constexpr int kDamages = 200;

struct Damaged {
  std::string bytes;
  std::string what;
};

Damaged damage(const std::string& original, uint32_t seed) {
  std::mt19937 rng(seed);
  const size_t at = std::uniform_int_distribution<size_t>(0, original.size() - 1)(rng);
  Damaged d{original, ""};
  switch (seed % 4) {
    case 0: {
      const int bit = std::uniform_int_distribution<int>(0, 7)(rng);
      d.bytes[at] = static_cast<char>(d.bytes[at] ^ (1 << bit));
      d.what = "bit " + std::to_string(bit) + " of byte " + std::to_string(at) + " flipped";
      break;
    }
    case 1:
    case 2: {
      const char fill = seed % 4 == 1 ? '\0' : '\xff';
      for (size_t i = at; i < std::min(at + 16, d.bytes.size()); ++i) d.bytes[i] = fill;
      d.what = "16 bytes from " + std::to_string(at) + (fill ? " set to 0xff" : " set to 0x00");
      break;
    }
    default:
      d.bytes.resize(at);
      d.what = "cut to " + std::to_string(at) + " bytes";
  }
  return d;
}

train::Checkpoint sample_checkpoint() {
  train::Checkpoint ck;
  ck.epoch = 1;
  ck.phase = "qat";
  ck.recipe_hash = "abc";
  ck.arch = "yolo-nano";
  ck.history_json = "[{\"epoch\": 0}]";
  ck.class_names = {"a", "b"};
  ck.params["conv.weight"] = at::arange(256, at::kFloat).reshape({4, 4, 4, 4}) * 0.25f;
  ck.params["conv.bias"] = at::arange(4, at::kFloat);
  ck.buffers["bn.running_mean"] = at::ones({4});
  ck.qparams["x"] = {at::tensor({0.5f}), at::tensor({3}, at::kInt)};
  ck.rng_state = at::arange(16, at::kByte);
  return ck;
}

// Every field load_checkpoint returns, tensors bit for bit.
::testing::AssertionResult same_content(const train::Checkpoint& a, const train::Checkpoint& b) {
  auto same_tensors = [](const std::map<std::string, at::Tensor>& x, const std::map<std::string, at::Tensor>& y) {
    if (x.size() != y.size()) return false;
    for (const auto& [name, t] : x) {
      if (!y.count(name) || !testing::same_bits(t.to(at::kFloat), y.at(name).to(at::kFloat))) return false;
    }
    return true;
  };
  std::map<std::string, at::Tensor> qa, qb;
  for (const auto& [name, q] : a.qparams) qa[name + ".scale"] = q.scale, qa[name + ".zero_point"] = q.zero_point;
  for (const auto& [name, q] : b.qparams) qb[name + ".scale"] = q.scale, qb[name + ".zero_point"] = q.zero_point;
  if (a.epoch != b.epoch || a.phase != b.phase || a.recipe_hash != b.recipe_hash || a.arch != b.arch ||
      a.history_json != b.history_json || a.class_names != b.class_names || !same_tensors(a.params, b.params) ||
      !same_tensors(a.buffers, b.buffers) || !same_tensors(qa, qb) ||
      !same_tensors({{"rng", a.rng_state}}, {{"rng", b.rng_state}})) {
    return ::testing::AssertionFailure() << "the loaded checkpoint differs from the saved one";
  }
  return ::testing::AssertionSuccess();
}

TEST(CorruptFiles, ADamagedCheckpointLoadsUnchangedOrIsRefusedAsBadInput) {
  testing::TempDir dir;
  const train::Checkpoint saved = sample_checkpoint();
  save_checkpoint(dir.file("ck.h5"), saved);
  ASSERT_TRUE(same_content(train::load_checkpoint(dir.file("ck.h5")), saved));
  train::Checkpoint other = sample_checkpoint();
  other.qparams["x"].zero_point = at::tensor({4}, at::kInt);
  ASSERT_FALSE(same_content(other, saved));  // the comparison sees a one-value change
  const std::string original = read_file(dir.file("ck.h5"));
  int loaded = 0, refused = 0;
  for (uint32_t seed = 0; seed < kDamages; ++seed) {
    const Damaged d = damage(original, seed);
    const std::string path = dir.file("damaged.h5");
    write_file_atomic(path, d.bytes);
    if (std::getenv("QAT_DAMAGE_TRACE")) std::cerr << "damage " << seed << ": " << d.what << std::endl;
    train::Checkpoint got;
    bool refused_it = false;
    const std::string failure =
        testing::failure_unless_bad_input([&] { got = train::load_checkpoint(path); }, &refused_it);
    EXPECT_EQ(failure, "") << d.what;
    if (!failure.empty() || refused_it) {
      ++refused;
      continue;
    }
    ++loaded;
    EXPECT_TRUE(same_content(got, saved)) << d.what;
  }
  std::cout << "damaged checkpoints: " << loaded << " loaded unchanged, " << refused << " refused\n";
  EXPECT_GT(refused, 0);
}

// The two damages a copy or a disk most often does, with what the user reads.
TEST(CorruptFiles, ACheckpointCutShortOrWithAFlippedHeaderByteIsRefusedNamingTheFile) {
  testing::TempDir dir;
  save_checkpoint(dir.file("ck.h5"), sample_checkpoint());
  const std::string original = read_file(dir.file("ck.h5"));
  const std::string cut = dir.file("cut.h5");
  write_file_atomic(cut, original.substr(0, original.size() / 2));
  ASSERT_THROWS_WITH(train::load_checkpoint(cut), IoError,
                     cut + ": cannot open (HDF5: truncated file: eof = " + std::to_string(original.size() / 2) +
                         ", sblock->base_addr = 0, stored_eof = " + std::to_string(original.size()) + ")");
  // The root group's object header follows the 1.8 superblock (48 bytes): its checksum no longer matches.
  std::string flipped = original;
  flipped[60] = static_cast<char>(flipped[60] ^ 0x10);
  const std::string path = dir.file("flipped.h5");
  write_file_atomic(path, flipped);
  ASSERT_THROWS_WITH(train::load_checkpoint(path), IoError,
                     path + ": /: cannot open (HDF5: incorrect metadata checksum after all read attempts)");
}

TEST(CorruptFiles, ADamagedDatasetIsReadOrRefusedAsBadInput) {
  testing::TempDir dir;
  testing::write_tiny_scenes(dir.file("d.h5"));
  const std::string original = read_file(dir.file("d.h5"));
  int read = 0, refused = 0;
  for (uint32_t seed = 0; seed < kDamages; ++seed) {
    const Damaged d = damage(original, seed);
    const std::string path = dir.file("damaged.h5");
    write_file_atomic(path, d.bytes);
    if (std::getenv("QAT_DAMAGE_TRACE")) std::cerr << "damage " << seed << ": " << d.what << std::endl;
    bool refused_it = false;
    const std::string failure = testing::failure_unless_bad_input(
        [&] {
          const data::DetectionDataset ds(path, "train");
          for (int64_t i = 0; i < ds.size(); ++i) {
            ds.image(i);
            ds.boxes(i);
            ds.labels(i);
          }
        },
        &refused_it);
    EXPECT_EQ(failure, "") << d.what;
    ++(refused_it ? refused : read);
  }
  std::cout << "damaged datasets: " << read << " read, " << refused << " refused\n";
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace qat
