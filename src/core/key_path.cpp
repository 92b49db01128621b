#include "qat/core/key_path.h"

#include <yaml-cpp/yaml.h>

namespace qat {

KeyPath::KeyPath(std::string file)
    : source_(std::make_shared<YamlSource>(YamlSource{std::move(file), {}})) {}

KeyPath::KeyPath(std::shared_ptr<const YamlSource> source) : source_(std::move(source)) {}

KeyPath::KeyPath(std::shared_ptr<const YamlSource> source, std::string path)
    : source_(std::move(source)), path_(std::move(path)) {}

KeyPath KeyPath::operator/(const std::string& key) const {
  return KeyPath(source_, path_.empty() ? key : path_ + "." + key);
}

KeyPath KeyPath::operator[](size_t index) const {
  return KeyPath(source_, path_ + "[" + std::to_string(index) + "]");
}

ConfigError KeyPath::error(const YAML::Node& node, const std::string& what) const {
  // A value that came from --set (or lies below one) is located by that override.
  for (const auto& [key, text] : source_->overrides) {
    if (path_ == key || path_.rfind(key + ".", 0) == 0 || path_.rfind(key + "[", 0) == 0) {
      return ConfigError(text, 0, 0, path_, what);
    }
  }
  const YAML::Mark mark = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
  if (mark.is_null()) return ConfigError(source_->file, 0, 0, path_, what);
  return ConfigError(source_->file, mark.line + 1, mark.column + 1, path_, what);
}

ConfigError KeyPath::error_at_parent(const YAML::Node& parent, const std::string& what) const {
  const YAML::Mark mark = parent.IsDefined() ? parent.Mark() : YAML::Mark::null_mark();
  if (mark.is_null()) return ConfigError(source_->file, 0, 0, path_, what);
  return ConfigError(source_->file, mark.line + 1, mark.column + 1, path_, what);
}

}  // namespace qat
