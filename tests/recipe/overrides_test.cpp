#include "qat/recipe/overrides.h"

#include <yaml-cpp/yaml.h>

#include "qat/core/key_path.h"
#include "support/test_support.h"

namespace qat {

TEST(Overrides, SetsNestedValuesAndCreatesMappings) {
  YAML::Node root = YAML::Load("data:\n  batch_size: 4\n");
  YamlSource source{"r.yaml", {}};
  apply_override(root, "data.batch_size=16", source);
  apply_override(root, "fp32.lr=0.5", source);
  EXPECT_EQ(root["data"]["batch_size"].as<int>(), 16);
  EXPECT_DOUBLE_EQ(root["fp32"]["lr"].as<double>(), 0.5);
  EXPECT_EQ(source.overrides.at("fp32.lr"), "--set fp32.lr=0.5");
}

TEST(Overrides, ValuesAreYaml) {
  YAML::Node root(YAML::NodeType::Map);
  YamlSource source;
  apply_override(root, "sizes=[1, 2]", source);
  ASSERT_TRUE(root["sizes"].IsSequence());
  EXPECT_EQ(root["sizes"][1].as<int>(), 2);
}

TEST(Overrides, MalformedAssignment) {
  YAML::Node root(YAML::NodeType::Map);
  YamlSource source;
  ASSERT_THROWS_WITH(apply_override(root, "data.batch_size", source), ConfigError,
                     "--set data.batch_size: expected key.path=value");
  ASSERT_THROWS_WITH(apply_override(root, "data..x=1", source), ConfigError,
                     "--set data..x=1: data..x: empty key in key path");
}

TEST(Overrides, CannotDescendIntoAScalar) {
  YAML::Node root = YAML::Load("seed: 3\n");
  YamlSource source;
  ASSERT_THROWS_WITH(apply_override(root, "seed.x=1", source), ConfigError,
                     "--set seed.x=1: seed.x: 'x' is below a value that is not a mapping");
}

}  // namespace qat
