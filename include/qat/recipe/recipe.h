// A recipe: the one YAML file that drives a qat run (docs/recipes.md).
#pragma once

#include <string>
#include <vector>

#include "qat/recipe/sections.h"

namespace qat {

struct Recipe {
  std::string name;        ///< run name; artifacts go to <output_dir>/<name>/
  std::string file;        ///< where the recipe was read from ("" if built in code)
  int64_t seed = 0;
  std::string output_dir = "runs";
  DataSection data;
  ModelSection model;
  Fp32Section fp32;
  EvalSection eval;
  QuantSection quant;
  QatSection qat;
  ExportSection export_;  ///< `export:` (a C++ keyword, hence the underscore)
  DistributedSection distributed;  ///< written only when not the default (a single-process recipe's hash is unchanged)

  /// Reads a recipe mapping strictly; `path` carries file name and overrides.
  static Recipe from_yaml(const YAML::Node& node, const KeyPath& path);
  /// Every value, defaults included, in a fixed key order.
  YAML::Node to_yaml() const;
  /// to_yaml() emitted as text (what `qat recipe show` prints).
  std::string to_yaml_text() const;
  /// sha256 of to_yaml_text(): identifies what a run used, for provenance and checkpoints.
  std::string hash() const;
};

/// Loads `file`, applies `overrides` ("a.b=c", in order) and reads it strictly.
/// Throws IoError when the file cannot be read, ConfigError for anything wrong inside.
Recipe load_recipe(const std::string& file, const std::vector<std::string>& overrides = {});

}  // namespace qat
