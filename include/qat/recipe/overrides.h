// `--set a.b=c` command-line overrides, applied to a YAML tree before it is read.
#pragma once

#include <string>

namespace YAML { class Node; }

namespace qat {

struct YamlSource;

/// Sets the value at dotted key path `a.b` of `root` to the YAML value `c`,
/// creating mappings on the way, and records the override in `source` so that
/// errors about the value name "--set a.b=c". Throws ConfigError for a malformed assignment.
void apply_override(YAML::Node& root, const std::string& assignment, YamlSource& source);

}  // namespace qat
