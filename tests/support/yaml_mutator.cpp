#include "support/yaml_mutator.h"

#include <yaml-cpp/yaml.h>

#include <random>
#include <vector>

namespace qat::testing {
namespace {

struct Place {
  YAML::Node parent;  // a map or a list (null for the root)
  YAML::Node key;     // the map key, or the list index as a scalar
  YAML::Node node;
  std::string path;
};

void collect(const YAML::Node& node, const YAML::Node& parent, const YAML::Node& key, const std::string& path,
             std::vector<Place>& out) {
  out.push_back({parent, key, node, path.empty() ? "(root)" : path});
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string k = it->first.Scalar();
      collect(it->second, node, it->first, path.empty() ? k : path + "." + k, out);
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      collect(node[i], node, YAML::Node(i), path + "[" + std::to_string(i) + "]", out);
    }
  }
}

// One odd value, as YAML source (`text`) and as the node it loads to.
YAML::Node odd_value(std::mt19937& rng, std::string& text) {
  static const char* const kValues[] = {"0",   "-1",   "1",  "2",    "7",    "1099511627776", "0.5",
                                        "-2.5", "1e30", ".inf", "abc", "''", "true",  "9223372036854775807",
                                        "null", "[1, 2]", "{a: 1}"};
  text = kValues[std::uniform_int_distribution<size_t>(0, sizeof kValues / sizeof kValues[0] - 1)(rng)];
  return YAML::Load(text);
}

// Replaces `place.node` in its parent by `value` (the root cannot be replaced).
void replace(const Place& place, const YAML::Node& value) {
  if (place.parent.IsMap()) {
    YAML::Node parent = place.parent;
    parent[place.key.Scalar()] = value;
  } else if (place.parent.IsSequence()) {
    YAML::Node parent = place.parent;
    parent[place.key.as<size_t>()] = value;
  }
}

std::string mutate_once(YAML::Node& root, std::mt19937& rng) {
  std::vector<Place> places;
  collect(root, YAML::Node(), YAML::Node(), "", places);
  const Place& p = places[std::uniform_int_distribution<size_t>(0, places.size() - 1)(rng)];
  const int action = std::uniform_int_distribution<int>(0, 9)(rng);
  if (p.node.IsMap() && p.node.size() > 0 && action < 4) {
    auto it = p.node.begin();
    std::advance(it, std::uniform_int_distribution<size_t>(0, p.node.size() - 1)(rng));
    const std::string key = it->first.Scalar();
    YAML::Node map = p.node;
    map.remove(key);
    return p.path + ": key " + key + " removed";
  }
  if (p.node.IsMap() && action < 6) {
    YAML::Node map = p.node;
    map["bogus"] = 1;
    return p.path + ": unknown key bogus added";
  }
  if (p.node.IsSequence() && p.node.size() > 0 && action < 6) {
    const size_t i = std::uniform_int_distribution<size_t>(0, p.node.size() - 1)(rng);
    YAML::Node list(YAML::NodeType::Sequence);
    for (size_t j = 0; j < p.node.size(); ++j) {
      if (j != i || action < 3) list.push_back(p.node[j]);
      if (j == i && action < 3) list.push_back(YAML::Clone(p.node[j]));
    }
    replace(p, list);
    return p.path + (action < 3 ? ": element " + std::to_string(i) + " repeated" : ": element " + std::to_string(i) + " removed");
  }
  if (!p.parent.IsDefined() || p.parent.IsNull()) return "no change (the root)";
  std::string text;
  replace(p, odd_value(rng, text));
  return p.path + " = " + text;
}

}  // namespace

YamlMutant mutate_yaml(const std::string& yaml, uint32_t seed, int mutations) {
  std::mt19937 rng(seed);
  YAML::Node root = YAML::Clone(YAML::Load(yaml));
  YamlMutant m;
  for (int i = 0; i < mutations; ++i) m.what += (i ? "; " : "") + mutate_once(root, rng);
  YAML::Emitter out;
  out << root;
  m.text = out.c_str();
  return m;
}

}  // namespace qat::testing
