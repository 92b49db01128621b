// Strict reading of one YAML mapping: every key must be asked for, values must
// have the expected type and range, and duplicate keys are refused. Options
// structs read themselves through this class in their from_yaml().
#pragma once

#include <yaml-cpp/yaml.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "qat/core/did_you_mean.h"
#include "qat/core/key_path.h"

namespace qat {

/// Parses a YAML file; IoError when unreadable, ConfigError at the syntax error's
/// line:column. An empty file reads as an empty mapping.
YAML::Node load_yaml_file(const std::string& file);

/// A YAML scalar holding `value` in the shortest form that reads back exactly
/// (0.1, not 0.10000000000000001), for to_yaml() of options structs.
YAML::Node yaml_number(double value);

/// Converts one node to T, throwing ConfigError("expected ..., got ...") at `path`.
/// Supported: bool, int, int64_t, double, std::string, std::vector of int, int64_t, double, std::string.
template <typename T>
T parse_value(const YAML::Node& node, const KeyPath& path);

class YamlMap {
 public:
  /// `node` must be a mapping; null or absent reads as an empty mapping.
  /// Throws ConfigError on a non-mapping or a duplicate key.
  YamlMap(const YAML::Node& node, KeyPath path);

  bool has(const std::string& key) const;
  /// The value at `key` (undefined when absent) and marks the key as known.
  YAML::Node node(const std::string& key);
  KeyPath path(const std::string& key) const { return path_ / key; }
  const KeyPath& path() const { return path_; }

  /// The value at `key`, or `fallback` when absent.
  template <typename T>
  T get(const std::string& key, const T& fallback) {
    const YAML::Node n = node(key);
    return n.IsDefined() ? parse_value<T>(n, path(key)) : fallback;
  }

  /// The value at `key`; absent is an error.
  template <typename T>
  T require(const std::string& key) {
    const YAML::Node n = node(key);
    if (!n.IsDefined()) throw path(key).error_at_parent(node_, "required key is missing");
    return parse_value<T>(n, path(key));
  }

  /// get() and then a range check: lo <= value <= hi.
  template <typename T>
  T get_in(const std::string& key, const T& fallback, T lo, T hi) {
    const T value = get<T>(key, fallback);
    if (value < lo || value > hi) {
      std::ostringstream msg;
      msg << "must be in [" << lo << ", " << hi << "], got " << value;
      throw path(key).error(node(key), msg.str());
    }
    return value;
  }

  /// get() of a string that must be one of `choices`.
  std::string get_choice(const std::string& key, const std::string& fallback,
                         const std::vector<std::string>& choices);
  /// require() of a string that must be one of `choices` (an absent key names them).
  std::string require_choice(const std::string& key, const std::vector<std::string>& choices);

  /// Throws ConfigError for the first key (in document order) never asked for,
  /// with a "did you mean" suggestion among the known keys.
  void finish() const;

 private:
  YAML::Node node_;
  KeyPath path_;
  std::vector<std::string> known_;
};

}  // namespace qat
