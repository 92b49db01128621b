// Broken recipes: seeded mutants of the shipped recipes (support/yaml_mutator.h), each
// read strictly. Each must load, or be refused as bad input (a qat::Error with exit
// code 2: ConfigError with its file:line:col); a crash, an internal error or another
// exception (yaml-cpp's, std::stoi's) fails the test, naming the mutant.
// QAT_MUTANT=<recipe>:<seed> replays one.
#include <iostream>

#include "qat/core/atomic_file.h"
#include "qat/recipe/recipe.h"
#include "support/test_support.h"
#include "support/yaml_mutator.h"

namespace qat {
namespace {

constexpr int kMutantsPerRecipe = 1000;

TEST(RecipeMutants, EveryMutantLoadsOrIsRefusedAsBadInput) {
  testing::TempDir dir;
  const char* only = std::getenv("QAT_MUTANT");
  int loaded = 0, refused = 0;
  for (const std::string name : {"fmnist-default", "fmnist-rare"}) {
    const std::string shipped = read_file((testing::source_dir() / "recipes" / (name + ".yaml")).string());
    for (uint32_t seed = 0; seed < kMutantsPerRecipe; ++seed) {
      const std::string id = name + ":" + std::to_string(seed);
      if (only && id != only) continue;
      const testing::YamlMutant m = testing::mutate_yaml(shipped, seed, 1 + static_cast<int>(seed % 2));
      const std::string file = dir.write("recipe.yaml", m.text);
      bool was_refused = false;
      const std::string failure = testing::failure_unless_bad_input([&] { load_recipe(file); }, &was_refused);
      ++(was_refused ? refused : loaded);
      EXPECT_EQ(failure, "") << "mutant " << id << " [" << m.what << "]";
    }
  }
  std::cout << "recipe mutants: " << loaded << " loaded, " << refused << " refused\n";
  if (only) return;
  EXPECT_GT(loaded, 0);
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace qat
