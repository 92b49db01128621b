// What the head adapter and the ONNX detector loader share when they look at an
// imported graph's values: finding one by name and printing its shape in messages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qat/graph/graph.h"

namespace qat::model::detail {

/// The value called `name` in `list` (a graph's inputs or outputs), or nullptr.
inline const graph::ValueInfo* find_value(const std::vector<graph::ValueInfo>& list, const std::string& name) {
  for (const auto& v : list) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

/// "[1,3,?,?]": a shape with its dynamic (negative) dimensions as '?'.
inline std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + (shape[i] < 0 ? "?" : std::to_string(shape[i]));
  return s + "]";
}

}  // namespace qat::model::detail
