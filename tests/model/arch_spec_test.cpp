#include "qat/model/arch_spec.h"

#include "support/test_support.h"

namespace qat::model {

TEST(ArchSpec, ShippedNanoArchitectureLoads) {
  const auto arch = load_arch((testing::source_dir() / "configs/arch/yolo-nano.yaml").string());
  EXPECT_EQ(arch.name, "yolo-nano");
  EXPECT_EQ(arch.backbone.size(), 10u);
  EXPECT_EQ(arch.backbone[9].type, "sppf");
  EXPECT_EQ(arch.neck_from, (std::vector<int64_t>{4, 6, 9}));
}

TEST(ArchSpec, KeyOfAnotherBlockTypeIsUnknown) {
  testing::TempDir dir;
  const auto file = dir.write("a.yaml",
                              "name: a\nbackbone:\n  - {type: c2f, out: 8, stride: 2}\n"
                              "neck: {from: [0, 0, 0], channels: [8, 8, 8]}\n");
  ASSERT_THROWS_WITH(load_arch(file), ConfigError,
                     file + ":3:25: backbone[0].stride: unknown key (known keys: type, out, blocks, shortcut)");
}

TEST(ArchSpec, UnknownBlockTypeListsTheKnownOnes) {
  testing::TempDir dir;
  const auto file = dir.write("a.yaml", "name: a\nbackbone:\n  - type: convv\n    out: 8\n");
  ASSERT_THROWS_WITH(load_arch(file), ConfigError,
                     file + ":3:11: backbone[0].type: must be one of conv, c2f, sppf; got 'convv' (did you mean 'conv'?)");
}

TEST(ArchSpec, ABlockWithoutTypeIsLocatedAndNamesTheTypes) {
  testing::TempDir dir;
  const auto file = dir.write("a.yaml", "name: a\nbackbone:\n  - {type: conv, out: 8}\n  - {out: 8}\n");
  ASSERT_THROWS_WITH(load_arch(file), ConfigError,
                     file + ":4:5: backbone[1].type: required key is missing (one of conv, c2f, sppf)");
}

// Each used to pass validation and fail inside libtorch (a weight of no input channels, or of 2^63).
TEST(ArchSpec, ChannelCountsThatLeaveAHalfEmptyOrOverflowAreLocated) {
  testing::TempDir dir;
  auto arch = [&](const std::string& block, const std::string& channels) {
    return dir.write("a.yaml", "name: a\nbackbone:\n  - {type: conv, out: 8}\n  - " + block +
                                   "\nneck:\n  from: [0, 0, 1]\n  channels: " + channels + "\n");
  };
  std::string file = arch("{type: c2f, out: 1}", "[8, 8, 8]");
  ASSERT_THROWS_WITH(load_arch(file), ConfigError, file + ":4:22: backbone[1].out: must be in [2, 4096], got 1");
  file = arch("{type: conv, out: 1}\n  - {type: sppf, out: 8}", "[8, 8, 8]");
  ASSERT_THROWS_WITH(load_arch(file), ConfigError,
                     file + ":5:5: backbone[2]: sppf needs at least 2 input channels; backbone[1] gives 1");
  file = arch("{type: conv, out: 8}", "[8, 9223372036854775807, 8]");
  ASSERT_THROWS_WITH(load_arch(file), ConfigError,
                     file + ":7:17: neck.channels[1]: must be in [2, 4096], got 9223372036854775807");
}

TEST(ArchSpec, NeckIndexOutOfRange) {
  testing::TempDir dir;
  const auto file = dir.write("a.yaml",
                              "name: a\nbackbone:\n  - {type: conv, out: 8}\n"
                              "neck:\n  from: [0, 0, 5]\n  channels: [8, 8, 8]\n");
  ASSERT_THROWS_WITH(load_arch(file), ConfigError, file + ":5:16: neck.from[2]: no backbone block 5");
}

TEST(ArchSpec, YamlRoundTrip) {
  const auto arch = load_arch((testing::source_dir() / "configs/arch/yolo-nano.yaml").string());
  const auto again = ArchSpec::from_yaml(arch.to_yaml(), KeyPath("again"));
  YAML::Emitter a, b;
  a << arch.to_yaml();
  b << again.to_yaml();
  EXPECT_EQ(std::string(a.c_str()), std::string(b.c_str()));
}

}  // namespace qat::model
