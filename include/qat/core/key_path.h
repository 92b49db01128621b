// Where a value sits in a YAML document: the file (or --set override) and the
// key path ("fp32.optimizer.lr", "layers[3].from"). Every ConfigError is made
// through a KeyPath so it always names file, line:column and key path.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "qat/core/error.h"

namespace YAML { class Node; }

namespace qat {

/// A YAML document's origin: its file name and the key paths set on the command line.
struct YamlSource {
  std::string file;
  /// key path → the "--set key=value" text that replaced it.
  std::map<std::string, std::string> overrides;
};

class KeyPath {
 public:
  /// The root of a document read from `file`.
  explicit KeyPath(std::string file = "");
  explicit KeyPath(std::shared_ptr<const YamlSource> source);

  /// The path of map key `key` below this one.
  KeyPath operator/(const std::string& key) const;
  /// The path of sequence element `index` below this one.
  KeyPath operator[](size_t index) const;

  /// "fp32.lr"; empty at the root.
  const std::string& str() const { return path_; }
  const std::string& file() const { return source_->file; }
  const YamlSource& source() const { return *source_; }

  /// An error about `node` at this path, located by the node's mark (1-based
  /// line:col), or by the --set override that supplied it.
  ConfigError error(const YAML::Node& node, const std::string& what) const;
  /// An error about a key that is absent (no node to mark): located at `parent`.
  ConfigError error_at_parent(const YAML::Node& parent, const std::string& what) const;

 private:
  KeyPath(std::shared_ptr<const YamlSource> source, std::string path);
  std::shared_ptr<const YamlSource> source_;
  std::string path_;
};

}  // namespace qat
