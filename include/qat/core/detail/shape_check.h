// Shape checks shared by the metrics, loss and distill code (not public API).
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "qat/core/error.h"

namespace qat::detail {

/// "[2,8,4]" for a tensor of that shape.
inline std::string shape_text(const at::Tensor& t) {
  std::string out = "[";
  for (int64_t d = 0; d < t.dim(); ++d) out += (d ? "," : "") + std::to_string(t.size(d));
  return out + "]";
}

/// Throws ShapeError "<what>: <name> must be <expected>, got <actual>" unless `t` has
/// `dims.size()` dimensions and every non-negative entry of `dims` equals its size.
inline void check_shape(const at::Tensor& t, const std::vector<int64_t>& dims, const std::string& expected,
                        const std::string& what, const std::string& name) {
  bool ok = t.defined() && t.dim() == static_cast<int64_t>(dims.size());
  for (size_t d = 0; ok && d < dims.size(); ++d) ok = dims[d] < 0 || t.size(static_cast<int64_t>(d)) == dims[d];
  if (!ok) {
    throw ShapeError(what + ": " + name + " must be " + expected + ", got " +
                     (t.defined() ? shape_text(t) : std::string("an undefined tensor")));
  }
}

}  // namespace qat::detail
