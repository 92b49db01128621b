#include "qat/core/yaml_map.h"

#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "qat/core/atomic_file.h"
#include "qat/core/excerpt.h"

namespace qat {

YAML::Node load_yaml_file(const std::string& file) {
  // An ifstream opens a directory and reads nothing: it would read as an empty recipe.
  if (std::filesystem::is_directory(file)) throw IoError(file, "", "is a directory, not a YAML file");
  const std::string text = read_file(file);
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::DeepRecursion& e) {
    throw ConfigError(file, e.mark.line + 1, e.mark.column + 1, "",
                      "nested deeper than yaml-cpp's limit of " + std::to_string(e.depth()) + " levels");
  } catch (const YAML::ParserException& e) {
    if (e.mark.is_null()) throw ConfigError(file, 0, 0, "", e.msg);
    throw ConfigError(file, e.mark.line + 1, e.mark.column + 1, "", e.msg);
  }
  // A second document would be ignored silently: refuse it where it starts.
  if (documents.size() > 1) {
    const YAML::Mark mark = documents[1].Mark();
    const std::string what = "a second YAML document ('---'); a recipe is one document";
    if (mark.is_null()) throw ConfigError(file, 0, 0, "", what);
    throw ConfigError(file, mark.line + 1, mark.column + 1, "", what);
  }
  YAML::Node root = documents.empty() ? YAML::Node() : documents.front();
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  return root;
}

YAML::Node yaml_number(double value) {
  char buf[64];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return YAML::Node(std::string(buf));
}

namespace {

std::string describe(const YAML::Node& node) {
  if (node.IsNull()) return "null";
  if (node.IsScalar()) return "'" + excerpt(node.Scalar()) + "'";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "nothing";
}

template <typename T>
T convert(const YAML::Node& node, const KeyPath& path, const char* expected) {
  if (!node.IsScalar()) throw path.error(node, std::string("expected ") + expected + ", got " + describe(node));
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw path.error(node, std::string("expected ") + expected + ", got " + describe(node));
  }
}

}  // namespace

template <>
bool parse_value<bool>(const YAML::Node& node, const KeyPath& path) {
  return convert<bool>(node, path, "true or false");
}
template <>
int parse_value<int>(const YAML::Node& node, const KeyPath& path) {
  return convert<int>(node, path, "an integer");
}
template <>
int64_t parse_value<int64_t>(const YAML::Node& node, const KeyPath& path) {
  return convert<int64_t>(node, path, "an integer");
}
template <>
double parse_value<double>(const YAML::Node& node, const KeyPath& path) {
  const double value = convert<double>(node, path, "a number");
  // .nan passes every range check (all comparisons are false) and .inf overflows
  // whatever it scales: no recipe value is meaningful as either.
  if (!std::isfinite(value)) throw path.error(node, "must be a finite number, got " + describe(node));
  return value;
}
template <>
std::string parse_value<std::string>(const YAML::Node& node, const KeyPath& path) {
  return convert<std::string>(node, path, "a string");
}

template <typename T>
static std::vector<T> parse_list(const YAML::Node& node, const KeyPath& path) {
  if (!node.IsSequence()) throw path.error(node, "expected a list, got " + describe(node));
  std::vector<T> out;
  for (size_t i = 0; i < node.size(); ++i) out.push_back(parse_value<T>(node[i], path[i]));
  return out;
}
template <>
std::vector<int> parse_value<std::vector<int>>(const YAML::Node& node, const KeyPath& path) {
  return parse_list<int>(node, path);
}
template <>
std::vector<int64_t> parse_value<std::vector<int64_t>>(const YAML::Node& node, const KeyPath& path) {
  return parse_list<int64_t>(node, path);
}
template <>
std::vector<double> parse_value<std::vector<double>>(const YAML::Node& node, const KeyPath& path) {
  return parse_list<double>(node, path);
}
template <>
std::vector<std::string> parse_value<std::vector<std::string>>(const YAML::Node& node,
                                                               const KeyPath& path) {
  return parse_list<std::string>(node, path);
}

YamlMap::YamlMap(const YAML::Node& node, KeyPath path) : node_(node), path_(std::move(path)) {
  if (!node_.IsDefined() || node_.IsNull()) return;
  if (!node_.IsMap()) throw path_.error(node_, "expected a mapping, got " + describe(node_));
  // yaml-cpp keeps every occurrence of a repeated key; refuse the second one.
  std::set<std::string> seen;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (!seen.insert(key).second) throw (path_ / key).error(it->first, "duplicate key");
  }
}

bool YamlMap::has(const std::string& key) const {
  if (!node_.IsMap()) return false;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (it->first.Scalar() == key) return true;
  }
  return false;
}

YAML::Node YamlMap::node(const std::string& key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.push_back(key);
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (it->first.Scalar() == key) return it->second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string YamlMap::get_choice(const std::string& key, const std::string& fallback,
                                const std::vector<std::string>& choices) {
  const std::string value = get<std::string>(key, fallback);
  if (std::find(choices.begin(), choices.end(), value) != choices.end()) return value;
  std::string msg = "must be one of " + join(choices) + "; got '" + excerpt(value) + "'";
  const std::string guess = closest_match(value, choices);
  if (!guess.empty()) msg += " (did you mean '" + guess + "'?)";
  throw path(key).error(node(key), msg);
}

std::string YamlMap::require_choice(const std::string& key, const std::vector<std::string>& choices) {
  if (!node(key).IsDefined()) {
    throw path(key).error_at_parent(node_, "required key is missing (one of " + join(choices) + ")");
  }
  return get_choice(key, "", choices);
}

void YamlMap::finish() const {
  if (!node_.IsMap()) return;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    const std::string guess = closest_match(key, known_);
    std::string msg = "unknown key";
    if (!guess.empty()) {
      msg += "; did you mean '" + guess + "'?";
    } else {
      msg += " (known keys: " + join(known_) + ")";
    }
    throw (path_ / key).error(it->first, msg);
  }
}

}  // namespace qat
