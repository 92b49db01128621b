#include "qat/recipe/field_table.h"

#include "support/test_support.h"

namespace qat {
namespace {

struct Toy {
  int count = 3;
  double rate = 0.5;
  std::string mode = "fast";
  std::string detail = "d";  // only in mode "slow"
  std::vector<std::string> names = {"a"};
};

const FieldTable<Toy>& toy_fields() {
  static const FieldTable<Toy> table({
      field("count", &Toy::count, in(1, 10), "how many"),
      field("rate", &Toy::rate, in(0.0, 1.0), "how often"),
      field("mode", &Toy::mode, one_of({"fast", "slow"}), "how"),
      field("detail", &Toy::detail, "slow only")
          .only_if([](const Toy& t) { return t.mode == "slow"; },
                   [](const Toy&, YamlMap& m, const std::string& key) {
                     throw m.path(key).error(m.node(key), "only with mode slow");
                   }),
      field("names", &Toy::names, "a list"),
  });
  return table;
}

Toy read(const std::string& yaml) { return toy_fields().from_yaml(YAML::Load(yaml), KeyPath("t.yaml") / "toy"); }

std::string emit(const YAML::Node& n) {
  YAML::Emitter out;
  out << YAML::Flow << n;
  return out.c_str();
}

enum class Shade { light, dark };
struct Paint {
  Shade shade = Shade::dark;
};

const FieldTable<Paint>& paint_fields() {
  static const FieldTable<Paint> table({
      field("shade", &Paint::shade, EnumNames<Shade>{{"light", Shade::light}, {"dark", Shade::dark}}, "which"),
  });
  return table;
}

Paint read_paint(const std::string& yaml) {
  return paint_fields().from_yaml(YAML::Load(yaml), KeyPath("p.yaml") / "paint");
}

}  // namespace

TEST(FieldTable, AnEnumIsReadAndWrittenByNameWithTheMessagesOfAStringChoice) {
  EXPECT_EQ(read_paint("{}").shade, Shade::dark);
  EXPECT_EQ(read_paint("{shade: light}").shade, Shade::light);
  ASSERT_THROWS_WITH(read_paint("{shade: lite}"), ConfigError,
                     "p.yaml:1:9: paint.shade: must be one of light, dark; got 'lite'");
  Paint p;
  EXPECT_EQ(emit(paint_fields().write(p)), "{shade: dark}");
  p.shade = Shade::light;
  EXPECT_EQ(emit(paint_fields().write(p)), "{shade: light}");
  const auto docs = paint_fields().docs("paint.");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].choices, (std::vector<std::string>{"light", "dark"}));
  EXPECT_EQ(docs[0].default_value, "dark");
}

TEST(FieldTable, AbsentKeysKeepTheDefaultsAndGivenOnesAreRead) {
  const Toy t = read("{count: 7, names: [x, y]}");
  EXPECT_EQ(t.count, 7);
  EXPECT_DOUBLE_EQ(t.rate, 0.5);
  EXPECT_EQ(t.mode, "fast");
  EXPECT_EQ(t.names, (std::vector<std::string>{"x", "y"}));
}

TEST(FieldTable, RangeChoiceAndApplicabilityErrorsNameTheKeyAndItsPosition) {
  ASSERT_THROWS_WITH(read("{count: 11}"), ConfigError, "t.yaml:1:9: toy.count: must be in [1, 10], got 11");
  ASSERT_THROWS_WITH(read("{rate: -0.25}"), ConfigError, "t.yaml:1:8: toy.rate: must be in [0, 1], got -0.25");
  ASSERT_THROWS_WITH(read("{mode: slo}"), ConfigError,
                     "t.yaml:1:8: toy.mode: must be one of fast, slow; got 'slo' (did you mean 'slow'?)");
  ASSERT_THROWS_WITH(read("{detail: x}"), ConfigError, "t.yaml:1:10: toy.detail: only with mode slow");
  EXPECT_EQ(read("{mode: slow, detail: x}").detail, "x");
  ASSERT_THROWS_WITH(read("{cont: 1}"), ConfigError, "t.yaml:1:2: toy.cont: unknown key; did you mean 'count'?");
}

TEST(FieldTable, WritesTheFieldsThatApplyInTableOrder) {
  Toy t;
  EXPECT_EQ(emit(toy_fields().write(t)), "{count: 3, rate: 0.5, mode: fast, names: [a]}");
  t.mode = "slow";
  t.rate = 0.1;  // the shortest form that reads back exactly
  EXPECT_EQ(emit(toy_fields().write(t)), "{count: 3, rate: 0.1, mode: slow, detail: d, names: [a]}");
  const Toy back = read(emit(toy_fields().write(t)));
  EXPECT_EQ(back.mode, "slow");
  EXPECT_DOUBLE_EQ(back.rate, 0.1);
}

TEST(FieldTable, DocumentsEveryKeyWithItsRangeOrChoices) {
  const auto docs = toy_fields().docs("toy.");
  ASSERT_EQ(docs.size(), 5u);
  EXPECT_EQ(docs[0].path, "toy.count");
  EXPECT_EQ(docs[0].range, "[1, 10]");
  EXPECT_EQ(docs[0].meaning, "how many");
  EXPECT_EQ(docs[2].path, "toy.mode");
  EXPECT_EQ(docs[2].choices, (std::vector<std::string>{"fast", "slow"}));
  EXPECT_EQ(docs[2].range, "");
  EXPECT_EQ(docs[0].default_value, "3");
  EXPECT_EQ(docs[1].default_value, "0.5");
  EXPECT_EQ(docs[3].default_value, "d");  // documented whether it applies or not
  EXPECT_EQ(docs[4].path, "toy.names");
  EXPECT_EQ(docs[4].default_value, "");  // a list
  EXPECT_FALSE(docs[4].nested);
}

}  // namespace qat
