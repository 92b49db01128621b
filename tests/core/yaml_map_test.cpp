#include "qat/core/yaml_map.h"

#include "support/test_support.h"

namespace qat {
namespace {

YAML::Node parse(const std::string& text) { return YAML::Load(text); }

}  // namespace

TEST(ClosestMatch, SuggestsNearTyposOnly) {
  EXPECT_EQ(closest_match("batch_szie", {"batch_size", "image_size"}), "batch_size");
  EXPECT_EQ(closest_match("lr", {"lr_min", "momentum"}), "");
  EXPECT_EQ(closest_match("epoch", {"epochs", "seed"}), "epochs");
  EXPECT_EQ(closest_match("completely_else", {"epochs"}), "");
}

TEST(YamlMap, ReadsTypedValuesAndDefaults) {
  const auto node = parse("a: 3\nb: 0.5\nc: yes\nd: text\ne: [1, 2]\n");
  YamlMap m(node, KeyPath("r.yaml"));
  EXPECT_EQ(m.get("a", 0), 3);
  EXPECT_DOUBLE_EQ(m.get("b", 0.0), 0.5);
  EXPECT_TRUE(m.get("c", false));
  EXPECT_EQ(m.get<std::string>("d", ""), "text");
  EXPECT_EQ(m.get("e", std::vector<int>{}), (std::vector<int>{1, 2}));
  EXPECT_EQ(m.get("absent", 42), 42);
  EXPECT_NO_THROW(m.finish());
}

TEST(YamlMap, WrongTypeNamesPositionAndExpectation) {
  const auto node = parse("fp32:\n  epochs: many\n");
  YamlMap root(node, KeyPath("r.yaml"));
  YamlMap fp32(root.node("fp32"), root.path("fp32"));
  ASSERT_THROWS_WITH(fp32.get("epochs", 1), ConfigError,
                     "r.yaml:2:11: fp32.epochs: expected an integer, got 'many'");
}

TEST(YamlMap, FloatWhereIntegerExpectedIsAnError) {
  const auto node = parse("n: 3.5\n");
  YamlMap m(node, KeyPath("r.yaml"));
  ASSERT_THROWS_WITH(m.get("n", 1), ConfigError, "r.yaml:1:4: n: expected an integer, got '3.5'");
}

TEST(YamlMap, MappingWhereScalarExpected) {
  const auto node = parse("lr:\n  x: 1\n");
  YamlMap m(node, KeyPath("r.yaml"));
  ASSERT_THROWS_WITH(m.get("lr", 0.1), ConfigError, "r.yaml:2:3: lr: expected a number, got a mapping");
}

TEST(YamlMap, OutOfRange) {
  const auto node = parse("batch_size: 0\nhflip: 1.5\n");
  YamlMap m(node, KeyPath("r.yaml"));
  ASSERT_THROWS_WITH(m.get_in("batch_size", 8, 1, 4096), ConfigError,
                     "r.yaml:1:13: batch_size: must be in [1, 4096], got 0");
  ASSERT_THROWS_WITH(m.get_in("hflip", 0.5, 0.0, 1.0), ConfigError,
                     "r.yaml:2:8: hflip: must be in [0, 1], got 1.5");
}

TEST(YamlMap, ChoiceSuggestsTheClosest) {
  const auto node = parse("optimizer: adamv\n");
  YamlMap m(node, KeyPath("r.yaml"));
  ASSERT_THROWS_WITH(m.get_choice("optimizer", "sgd", {"sgd", "adamw"}), ConfigError,
                     "r.yaml:1:12: optimizer: must be one of sgd, adamw; got 'adamv' (did you mean 'adamw'?)");
}

TEST(YamlMap, UnknownKeyWithSuggestion) {
  const auto node = parse("data:\n  batch_size: 4\n  batch_szie: 8\n");
  YamlMap root(node, KeyPath("r.yaml"));
  YamlMap data(root.node("data"), root.path("data"));
  data.get("batch_size", 1);
  ASSERT_THROWS_WITH(data.finish(), ConfigError,
                     "r.yaml:3:3: data.batch_szie: unknown key; did you mean 'batch_size'?");
}

TEST(YamlMap, UnknownKeyWithoutCloseMatchListsKnownKeys) {
  const auto node = parse("seed: 1\nwhatever: 2\n");
  YamlMap m(node, KeyPath("r.yaml"));
  m.get("seed", 0);
  m.get("name", std::string());
  ASSERT_THROWS_WITH(m.finish(), ConfigError,
                     "r.yaml:2:1: whatever: unknown key (known keys: seed, name)");
}

TEST(YamlMap, DuplicateKeyIsRefusedAtItsSecondOccurrence) {
  const auto node = parse("seed: 1\nname: a\nseed: 2\n");
  ASSERT_THROWS_WITH(YamlMap(node, KeyPath("r.yaml")), ConfigError, "r.yaml:3:1: seed: duplicate key");
}

TEST(YamlMap, NonMappingIsRefused) {
  const auto node = parse("data: [1, 2]\n");
  YamlMap root(node, KeyPath("r.yaml"));
  ASSERT_THROWS_WITH(YamlMap(root.node("data"), root.path("data")), ConfigError,
                     "r.yaml:1:7: data: expected a mapping, got a list");
}

TEST(YamlMap, RequiredKeyMissingPointsAtTheMapping) {
  const auto node = parse("model:\n  other: 1\n");
  YamlMap root(node, KeyPath("r.yaml"));
  YamlMap model(root.node("model"), root.path("model"));
  ASSERT_THROWS_WITH(model.require<std::string>("arch"), ConfigError,
                     "r.yaml:2:3: model.arch: required key is missing");
}

TEST(YamlMap, ListElementsCarryTheirIndexInTheKeyPath) {
  const auto node = parse("sizes: [1, x, 3]\n");
  YamlMap m(node, KeyPath("r.yaml"));
  ASSERT_THROWS_WITH(m.get("sizes", std::vector<int>{}), ConfigError,
                     "r.yaml:1:12: sizes[1]: expected an integer, got 'x'");
}

}  // namespace qat

namespace qat {

TEST(YamlNumber, ShortestTextThatReadsBackExactly) {
  EXPECT_EQ(yaml_number(0.1).Scalar(), "0.1");
  EXPECT_EQ(yaml_number(5e-4).Scalar(), "0.0005");
  EXPECT_EQ(yaml_number(1.0).Scalar(), "1");
  EXPECT_EQ(yaml_number(1.0 / 3.0).Scalar(), "0.3333333333333333");
  EXPECT_EQ(yaml_number(1.0 / 3.0).as<double>(), 1.0 / 3.0);
}

}  // namespace qat
