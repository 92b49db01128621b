// Recipes a careless or hostile user writes (issue 14): non-finite numbers, a
// directory, several documents, deep nesting, names that would leave output_dir,
// and long values quoted back only as an excerpt.
#include <filesystem>

#include "qat/core/yaml_map.h"
#include "qat/recipe/recipe.h"
#include "support/test_support.h"

namespace qat {

TEST(HostileRecipe, NonFiniteNumbersAreRefusedEverywhere) {
  testing::TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"fp32:\n  lr: .nan\n", ":2:7: fp32.lr: must be a finite number, got '.nan'"},
      {"fp32:\n  momentum: .NaN\n", ":2:13: fp32.momentum: must be a finite number, got '.NaN'"},
      {"fp32:\n  weight_decay: -.inf\n", ":2:17: fp32.weight_decay: must be a finite number, got '-.inf'"},
      {"eval:\n  score_threshold: .inf\n", ":2:20: eval.score_threshold: must be a finite number, got '.inf'"},
  };
  for (const auto& [text, expected] : cases) {
    const auto file = dir.write("r.yaml", text);
    ASSERT_THROWS_WITH(load_recipe(file), ConfigError, file + expected);
  }
  const auto file = dir.write("ok.yaml", "");
  ASSERT_THROWS_WITH(load_recipe(file, {"fp32.lr=.nan"}), ConfigError,
                     "--set fp32.lr=.nan: fp32.lr: must be a finite number, got '.nan'");
}

TEST(HostileRecipe, ADirectoryIsNotAnEmptyRecipe) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "recipes.yaml");
  ASSERT_THROWS_WITH(load_recipe(dir.file("recipes.yaml")), IoError,
                     dir.file("recipes.yaml") + ": is a directory, not a YAML file");
}

TEST(HostileRecipe, ASecondDocumentIsRefusedWhereItStarts) {
  testing::TempDir dir;
  const auto file = dir.write("r.yaml", "seed: 1\n---\nseed: 2\n");
  ASSERT_THROWS_WITH(load_recipe(file), ConfigError,
                     file + ":3:1: a second YAML document ('---'); a recipe is one document");
}

TEST(HostileRecipe, DeepNestingIsLocated) {
  testing::TempDir dir;
  const auto file = dir.write("r.yaml", "a: " + std::string(3000, '[') + "\n");
  ASSERT_THROWS_WITH(load_recipe(file), ConfigError, file + ":2:1: nested deeper than yaml-cpp's limit of 500 levels");
}

TEST(HostileRecipe, NamesThatWouldLeaveOutputDirAreRefused) {
  testing::TempDir dir;
  const std::string why = "must be a non-empty file name, not '.' or '..', without '/' or '\\'";
  for (const std::string name : {"..", ".", "../x", "a/b", "a\\\\b"}) {
    const auto file = dir.write("r.yaml", "name: \"" + name + "\"\n");
    ASSERT_THROWS_WITH(load_recipe(file), ConfigError, file + ":1:7: name: " + why);
  }
  const auto file = dir.write("r.yaml", "name: " + std::string(201, 'n') + "\n");
  ASSERT_THROWS_WITH(load_recipe(file), ConfigError,
                     file + ":1:7: name: is 201 characters long; at most 200 (file names in output_dir)");
}

TEST(HostileRecipe, LongValuesAreQuotedAsAnExcerpt) {
  testing::TempDir dir;
  const auto file = dir.write("r.yaml", "fp32:\n  lr: \"" + std::string(300, 'z') + "\"\n");
  ASSERT_THROWS_WITH(load_recipe(file), ConfigError,
                     file + ":2:7: fp32.lr: expected a number, got '" + std::string(80, 'z') + "...'");
  const auto choice = dir.write("c.yaml", "fp32:\n  optimizer: \"" + std::string(300, 'q') + "\"\n");
  ASSERT_THROWS_WITH(load_recipe(choice), ConfigError,
                     choice + ":2:14: fp32.optimizer: must be one of sgd, adamw; got '" + std::string(80, 'q') + "...'");
}

}  // namespace qat
