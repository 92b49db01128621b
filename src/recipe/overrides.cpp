#include "qat/recipe/overrides.h"

#include <yaml-cpp/yaml.h>

#include "qat/core/key_path.h"

namespace qat {

void apply_override(YAML::Node& root, const std::string& assignment, YamlSource& source) {
  const std::string where = "--set " + assignment;
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError(where, 0, 0, "", "expected key.path=value");
  }
  const std::string key_path = assignment.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw ConfigError(where, 0, 0, key_path, "value is not valid YAML: " + e.msg);
  }

  YAML::Node cursor = root;
  size_t start = 0;
  while (true) {
    const auto dot = key_path.find('.', start);
    const std::string key = key_path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (key.empty()) throw ConfigError(where, 0, 0, key_path, "empty key in key path");
    if (!cursor.IsMap() && !cursor.IsNull()) {
      throw ConfigError(where, 0, 0, key_path, "'" + key + "' is below a value that is not a mapping");
    }
    if (dot == std::string::npos) {
      cursor[key] = value;
      break;
    }
    YAML::Node next = cursor[key];
    if (!next.IsDefined() || next.IsNull()) {
      next = YAML::Node(YAML::NodeType::Map);
      cursor[key] = next;
      next = cursor[key];
    }
    cursor.reset(next);  // rebind, not assign: assignment would overwrite the parent's value
    start = dot + 1;
  }
  source.overrides[key_path] = where;
}

}  // namespace qat
