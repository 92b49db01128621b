// The `export:` section of a recipe: the Q/DQ ONNX profile and opset.
// Read and written by recipe/sections.cpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "qat/core/key_path.h"

namespace qat {

/// `export:` how the quantized student is written as a Q/DQ ONNX model (docs/export.md).
struct ExportSection {
  std::string profile = "tensorrt";  ///< tensorrt | ort
  int opset = 13;                    ///< 13 to 17; 0: an imported model's own (Recipe)

  static ExportSection from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

}  // namespace qat
