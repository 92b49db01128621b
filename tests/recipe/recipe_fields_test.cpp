// The recipe's field tables: the errors they raise, the observer choices from the
// registry, the read -> show -> read round trip, and docs/recipes.md listing every key.
#include "qat/recipe/recipe_fields.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "qat/core/did_you_mean.h"
#include "qat/quant/registry.h"
#include "support/test_support.h"

namespace qat {
namespace {

// The recipe read back from what `qat recipe show` prints for it.
void expect_round_trip(const testing::TempDir& dir, const Recipe& a) {
  const Recipe b = load_recipe(dir.write("shown.yaml", a.to_yaml_text()));
  EXPECT_EQ(b.to_yaml_text(), a.to_yaml_text());
  EXPECT_EQ(b.hash(), a.hash());
  EXPECT_EQ(b.name, a.name);
}

// The backquoted names in the key column of docs/recipes.md's key tables.
std::vector<std::string> documented_keys() {
  std::ifstream in(testing::source_dir() / "docs/recipes.md");
  EXPECT_TRUE(in.good());
  std::vector<std::string> keys;
  std::string line;
  bool in_table = false;
  const std::regex quoted("`([^`]+)`");
  while (std::getline(in, line)) {
    if (line.rfind("| key | default | meaning |", 0) == 0) {
      in_table = true;
      continue;
    }
    if (line.rfind("|", 0) != 0) {
      in_table = false;
      continue;
    }
    if (!in_table || line.rfind("| ---", 0) == 0) continue;
    const std::string cell = line.substr(1, line.find(" | ") - 1);
    for (std::sregex_iterator it(cell.begin(), cell.end(), quoted), end; it != end; ++it) keys.push_back((*it)[1]);
  }
  return keys;
}

// The whole row of docs/recipes.md that documents `key`.
std::string documented_row(const std::string& key) {
  std::ifstream in(testing::source_dir() / "docs/recipes.md");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| ", 0) == 0 && line.substr(0, line.find(" | ", 2)).find("`" + key + "`") != std::string::npos) {
      return line;
    }
  }
  return "";
}

// The cells of a docs table row: "| a | b | c |" -> {a, b, c}.
std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  size_t start = 2;
  for (size_t bar; (bar = row.find(" | ", start)) != std::string::npos; start = bar + 3) {
    out.push_back(row.substr(start, bar - start));
  }
  out.push_back(row.substr(start, row.size() - start - 2));
  return out;
}

// What the default cell of `row` says for `key`: a row of several keys gives one
// default each ("0.01, 0.9, 0.0005") or one for all; backquotes and a remark in
// parentheses go, and "empty" is the empty string.
std::string documented_default(const std::string& row, const std::string& key) {
  const std::vector<std::string> c = cells(row);
  if (c.size() < 2) return "?";
  std::vector<std::string> keys, values;
  const std::regex quoted("`([^`]+)`");
  for (std::sregex_iterator it(c[0].begin(), c[0].end(), quoted), end; it != end; ++it) keys.push_back((*it)[1]);
  std::stringstream parts(c[1]);
  for (std::string part; std::getline(parts, part, ',');) values.push_back(part);
  size_t index = 0;
  if (values.size() == keys.size()) index = std::find(keys.begin(), keys.end(), key) - keys.begin();
  std::string value = values.empty() ? "" : values[index];
  value = value.substr(0, value.find(" ("));
  value.erase(std::remove(value.begin(), value.end(), '`'), value.end());
  value.erase(0, value.find_first_not_of(' '));
  return value == "empty" ? "" : value;
}

bool same_value(const std::string& documented, const std::string& shown) {
  char* end_a = nullptr;
  char* end_b = nullptr;
  const double a = std::strtod(documented.c_str(), &end_a), b = std::strtod(shown.c_str(), &end_b);
  if (!documented.empty() && !shown.empty() && *end_a == '\0' && *end_b == '\0') return a == b;
  return documented == shown;
}

}  // namespace

TEST(RecipeFields, RangeErrorComesFromTheTableWithItsPosition) {
  testing::TempDir dir;
  const auto file = dir.write("r.yaml", "fp32:\n  lr: 11\nqat:\n  threshold_search: {lo: 0.5, step: 0}\n");
  ASSERT_THROWS_WITH(load_recipe(file), ConfigError, file + ":2:7: fp32.lr: must be in [0, 10], got 11");
  ASSERT_THROWS_WITH(load_recipe(file, {"fp32.lr=1"}), ConfigError,
                     file + ":4:37: qat.threshold_search.step: must be in [0.0001, 1], got 0");
  ASSERT_THROWS_WITH(load_recipe(file, {"fp32.lr=1", "qat.threshold_search.step=0.1", "qat.threshold_search.hi=0.4"}),
                     ConfigError,
                     "--set qat.threshold_search.hi=0.4: qat.threshold_search.hi: must not be below lo");
}

TEST(RecipeFields, ObserverChoicesAreTheRegistrysObservers) {
  testing::TempDir dir;
  const auto file = dir.write("r.yaml", "quant:\n  weights:\n    observer: entropyy\n");
  ASSERT_THROWS_WITH(load_recipe(file), ConfigError,
                     file + ":3:15: quant.weights.observer: must be one of ema_minmax, entropy, minmax, mse, "
                            "percentile; got 'entropyy' (did you mean 'entropy'?)");
  EXPECT_EQ(join(quant::observer_registry().names()), "ema_minmax, entropy, minmax, mse, percentile");
  int observer_fields = 0;
  for (const auto& doc : recipe_field_docs()) {
    if (doc.path == "quant.weights.observer" || doc.path == "quant.activations.observer") {
      EXPECT_EQ(doc.choices, quant::observer_registry().names());
      ++observer_fields;
    }
  }
  EXPECT_EQ(observer_fields, 2);
}

TEST(RecipeFields, ObjectiveChoicesAreTheBehaviourMetricsAndF1) {
  testing::TempDir dir;
  const auto file = dir.write("r.yaml", "qat:\n  objective: mae\n");
  ASSERT_THROWS_WITH(load_recipe(file), ConfigError,
                     file + ":2:14: qat.objective: must be one of recall, precision_agreement, median_iou, "
                            "confidence_mae, f1; got 'mae'");
}

TEST(RecipeFields, DefaultAndShippedRecipesRoundTripThroughShow) {
  testing::TempDir dir;
  const Recipe defaults = load_recipe(dir.write("default.yaml", ""));
  EXPECT_EQ(defaults.name, "default");
  expect_round_trip(dir, defaults);
  int shipped = 0;
  for (const auto& entry : std::filesystem::directory_iterator(testing::source_dir() / "recipes")) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    expect_round_trip(dir, load_recipe(entry.path().string()));
    ++shipped;
  }
  EXPECT_GE(shipped, 1);
}

TEST(RecipeFields, ShowWritesEveryTableKeyOfTheDefaultRecipe) {
  testing::TempDir dir;
  const YAML::Node shown = load_recipe(dir.write("d.yaml", "")).to_yaml();
  for (const auto& doc : recipe_field_docs()) {
    if (doc.path == "model.onnx" || doc.path.rfind("model.head", 0) == 0) continue;  // imported models only
    if (doc.path.rfind("distributed", 0) == 0) continue;  // shown only when not the default (recipe_test)
    // Written only when not the defaults (the recipe hash stays as before the keys).
    if (doc.path == "quant.calibration" || doc.path.rfind("quant.calibration.", 0) == 0) continue;
    std::stringstream path(doc.path);
    std::string part;
    YAML::Node n = shown;
    bool found = true;
    while (found && std::getline(path, part, '.')) {
      const YAML::Node& parent = n;  // const: operator[] does not insert
      const YAML::Node child = parent[part];
      found = child.IsDefined();
      if (found) n.reset(child);
    }
    EXPECT_TRUE(found) << doc.path;
  }
}

TEST(RecipeFields, DocsListEveryKeyAndOnlyKeysThatExist) {
  std::set<std::string> known, nested;
  for (const auto& doc : recipe_field_docs()) {
    known.insert(doc.path);
    if (doc.nested) nested.insert(doc.path);
  }
  const std::vector<std::string> keys = documented_keys();
  ASSERT_FALSE(keys.empty());
  const std::set<std::string> documented(keys.begin(), keys.end());
  for (const auto& doc : recipe_field_docs()) {
    if (doc.nested) continue;  // its keys are
    EXPECT_TRUE(documented.count(doc.path)) << "docs/recipes.md does not document recipe key " << doc.path;
    // A choice's row names every choice.
    const std::string row = documented_row(doc.path);
    // Its default cell says what `qat recipe show` writes (lists, maps and the name's file stem aside).
    if (doc.path != "name" && doc.path != "qat.losses" && doc.path != "model.head.score_inputs" &&
        doc.path != "quant.include" && doc.path != "quant.exclude" && doc.path != "quant.calibration.oversample") {
      EXPECT_TRUE(same_value(documented_default(row, doc.path), doc.default_value))
          << "docs/recipes.md gives default '" << documented_default(row, doc.path) << "' for " << doc.path
          << ", qat recipe show writes '" << doc.default_value << "'";
    }
    for (const auto& choice : doc.choices) {
      EXPECT_NE(row.find("`" + choice + "`"), std::string::npos)
          << "docs/recipes.md row of " << doc.path << " does not name choice " << choice;
    }
  }
  for (const auto& key : documented) {
    const bool wildcard = key.size() > 2 && key.compare(key.size() - 2, 2, ".*") == 0;
    if (wildcard) {
      EXPECT_TRUE(nested.count(key.substr(0, key.size() - 2))) << "docs/recipes.md documents " << key;
    } else {
      EXPECT_TRUE(known.count(key)) << "docs/recipes.md documents " << key << ", which is not a recipe key";
    }
  }
}

}  // namespace qat
